import type { MapFacts, MapPoints } from '../../core/api.ts';
import { inferno } from './attention-colors.ts';
import { clusterColor, clusterColorBytes } from './scatter-gl.ts';

/** What the map's colours mean. */
export type ColorMode = 'cluster' | 'folder' | 'format' | 'date' | 'tag';

const NONE: [number, number, number] = [91, 97, 112]; // the noise grey: no folder, format, date or tag
/** Colouring by one tag: photos with other tags, lighter than the untagged grey, clearly not it. */
const OTHER_TAGS: [number, number, number] = [150, 156, 170];

/**
 * RGB bytes per point for a colour mode; categorical modes reuse the cluster palette by index.
 * Colouring by tag shows a photo's first tag, or with `focusTag` that one tag against the rest
 * (has it / has other tags / has none): a photo with several tags is then never hidden behind
 * another of its tags.
 */
export function pointColors(
  mode: ColorMode,
  points: MapPoints,
  facts: MapFacts | null,
  focusTag: string | null = null,
): Uint8Array {
  const count = points.imageIds.length;
  const colors = new Uint8Array(count * 3);
  const categorical = (index: number) => (index < 0 ? NONE : clusterColorBytes(index));
  if (mode === 'cluster' || !facts) {
    for (let i = 0; i < count; i++) colors.set(clusterColorBytes(points.cluster[i]), i * 3);
    return colors;
  }
  if (mode === 'date') {
    const range = dateRange(facts);
    for (let i = 0; i < count; i++) {
      const t = facts.capturedAt[i];
      // Old photos dark, recent ones bright (inferno, as the attention maps).
      colors.set(
        t === null || !range
          ? NONE
          : inferno(0.15 + (0.85 * (t - range.min)) / Math.max(1, range.max - range.min)),
        i * 3,
      );
    }
    return colors;
  }
  const tagIndex = new Map(facts.tags.map((tag, i) => [tag.id, i]));
  const focus = mode === 'tag' && focusTag !== null ? facts.tags.findIndex((t) => t.name === focusTag) : -1;
  if (focus >= 0) {
    const id = facts.tags[focus].id;
    for (let i = 0; i < count; i++) {
      const tags = facts.pointTags[i];
      colors.set(tags.includes(id) ? categorical(focus) : tags.length > 0 ? OTHER_TAGS : NONE, i * 3);
    }
    return colors;
  }
  for (let i = 0; i < count; i++) {
    const index =
      mode === 'folder'
        ? facts.folder[i]
        : mode === 'format'
          ? facts.format[i]
          : facts.pointTags[i].length > 0
            ? (tagIndex.get(facts.pointTags[i][0]) ?? -1)
            : -1;
    colors.set(categorical(index), i * 3);
  }
  return colors;
}

/** The legend of a categorical mode: name and colour per entry. */
export function legend(
  mode: ColorMode,
  facts: MapFacts | null,
  focusTag: string | null = null,
): { name: string; color: string }[] {
  if (!facts || mode === 'cluster' || mode === 'date') return [];
  const focus = mode === 'tag' && focusTag !== null ? facts.tags.findIndex((t) => t.name === focusTag) : -1;
  if (focus >= 0)
    return [
      { name: focusTag as string, color: clusterColor(focus) },
      { name: 'other tags', color: `rgb(${OTHER_TAGS.join(', ')})` },
      { name: 'no tag', color: clusterColor(-1) },
    ];
  const names =
    mode === 'folder' ? facts.folders : mode === 'format' ? facts.formats : facts.tags.map((t) => t.name);
  return [
    ...names.map((name, i) => ({ name, color: clusterColor(i) })),
    { name: mode === 'tag' ? 'no tag' : 'unknown', color: clusterColor(-1) },
  ];
}

export function dateRange(facts: MapFacts): { min: number; max: number } | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const t of facts.capturedAt) {
    if (t === null) continue;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return Number.isFinite(min) ? { min, max } : null;
}
