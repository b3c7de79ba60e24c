import type { PhotoFilter } from '../core/api.ts';
import { localIso } from './components/timeline-brush.tsx';

/**
 * What the person chose to see: one choice for the whole app (held in app-state), so the map, the
 * Library grid, the photos worth labelling and label exports show the same photos.
 * `toPhotoFilter` turns it into the contract's filter; the core decides which photos pass.
 */
export interface FilterChoice {
  /** Clusters of the current model's map (cleared when the model changes: numbers are per map). */
  clusters: number[];
  folders: string[];
  formats: string[];
  tags: string[];
  untagged: boolean;
  dates: { from: number; to: number } | null;
}

export const NO_FILTER: FilterChoice = {
  clusters: [],
  folders: [],
  formats: [],
  tags: [],
  untagged: false,
  dates: null,
};

export function toPhotoFilter(choice: FilterChoice): PhotoFilter {
  const filter: PhotoFilter = {};
  if (choice.clusters.length > 0) filter.clusters = choice.clusters;
  if (choice.folders.length > 0) filter.folders = choice.folders;
  if (choice.formats.length > 0) filter.formats = choice.formats;
  if (choice.tags.length > 0) filter.tags = choice.tags;
  if (choice.untagged) filter.untagged = true;
  if (choice.dates) {
    filter.capturedFrom = localIso(choice.dates.from);
    filter.capturedTo = localIso(choice.dates.to);
  }
  return filter;
}

export function isFiltering(choice: FilterChoice): boolean {
  return Object.keys(toPhotoFilter(choice)).length > 0;
}

/** A short description of the choice for a banner ("cluster 3, tag sea, no tag"). */
export function describeFilter(choice: FilterChoice): string {
  const parts: string[] = [];
  if (choice.clusters.length > 0)
    parts.push(`cluster ${choice.clusters.map((c) => (c < 0 ? 'none' : String(c))).join(', ')}`);
  if (choice.folders.length > 0)
    parts.push(`folder ${choice.folders.map((f) => f.split(/[\\/]/).filter(Boolean).at(-1)).join(', ')}`);
  if (choice.formats.length > 0) parts.push(`format ${choice.formats.join(', ')}`);
  if (choice.tags.length > 0) parts.push(`tag ${choice.tags.join(', ')}`);
  if (choice.untagged) parts.push('no tag');
  if (choice.dates) parts.push('captured in the chosen span');
  return parts.join('; ');
}
