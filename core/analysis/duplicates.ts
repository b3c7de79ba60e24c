import type { DuplicateGroup as ApiDuplicateGroup, DuplicateMember as ApiDuplicateMember } from '../api.ts';
import type { Db } from '../store/database.ts';
import { loadEmbeddings } from '../store/embeddings.ts';
import { type ModelRecord, resolveModel } from '../store/models.ts';
import { knnGraph } from './knn-graph.ts';
import { findRoot } from './union-find.ts';

/**
 * Duplicate photos: exact copies (same content hash) and near-duplicates (resized, re-encoded,
 * slightly cropped or recoloured copies: embeddings at least `threshold` cosine-similar).
 *
 * Grouping: candidate pairs come from the exact k-NN graph (each photo's NEAR_CANDIDATES nearest);
 * pairs at or above the threshold join photos into connected components; each component is then
 * cut into stars: its best photo (largest resolution, then largest file, then oldest id) is a
 * keeper and takes every photo of the component at least `threshold`-similar to it; the rest
 * repeat the same. So every photo of a group is a near-copy of its keeper itself, never only
 * through a chain (A ≈ B ≈ C with A and C unrelated, which plain connected components would
 * merge).
 */
/** What the UI shows (`core/api.ts`), plus the paths the CLI prints. */
export interface DuplicateMember extends ApiDuplicateMember {
  path: string;
  relPath: string;
}

export interface DuplicateGroup extends Omit<ApiDuplicateGroup, 'members'> {
  /** The keeper first, then the others by decreasing similarity to it. */
  members: DuplicateMember[];
}

export interface DuplicateReport {
  /** The model whose embeddings found near-duplicates; null when the library has none. */
  model: { id: number; name: string } | null;
  threshold: number;
  groups: DuplicateGroup[];
  /** Readable photos looked at. */
  photos: number;
  /** Readable photos without an embedding for the model (only exact copies can be found for them). */
  notEmbedded: number;
  /** Why near-duplicates were not searched, when they were not. */
  note: string | null;
}

export interface DuplicateOptions {
  model?: string | number;
  threshold?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_DUPLICATE_THRESHOLD = 0.95;
/** Candidates per photo: a photo with more near-copies still joins them through theirs. */
const NEAR_CANDIDATES = 10;

interface PhotoRow {
  imageId: number;
  path: string;
  relPath: string;
  width: number | null;
  height: number | null;
  size: number;
  hash: string | null;
}

export async function findDuplicates(db: Db, options: DuplicateOptions = {}): Promise<DuplicateReport> {
  const threshold = options.threshold ?? DEFAULT_DUPLICATE_THRESHOLD;
  if (!(threshold > 0 && threshold <= 1))
    throw new Error(`--threshold must be in (0, 1] (got ${threshold}).`);
  const photos = db
    .prepare(
      `SELECT id AS imageId, path, rel_path AS relPath, width, height, size, hash
       FROM images WHERE status = 'ok' ORDER BY id`,
    )
    .all() as PhotoRow[];
  const byId = new Map(photos.map((photo) => [photo.imageId, photo]));
  const member = (photo: PhotoRow, similarity: number): DuplicateMember => ({
    imageId: photo.imageId,
    path: photo.path,
    relPath: photo.relPath,
    width: photo.width,
    height: photo.height,
    size: photo.size,
    similarity,
  });

  // Exact copies: one group per content hash; only each group's keeper goes on to the near search.
  const groups: DuplicateGroup[] = [];
  const hidden = new Set<number>();
  const byHash = new Map<string, PhotoRow[]>();
  for (const photo of photos) {
    if (photo.hash === null) continue;
    const list = byHash.get(photo.hash) ?? [];
    list.push(photo);
    byHash.set(photo.hash, list);
  }
  for (const copies of byHash.values()) {
    if (copies.length < 2) continue;
    copies.sort(keeperFirst);
    groups.push({ kind: 'exact', keeperId: copies[0].imageId, members: copies.map((c) => member(c, 1)) });
    for (const copy of copies.slice(1)) hidden.add(copy.imageId);
  }

  let model: ModelRecord | null = null;
  try {
    model = resolveModel(db, options.model);
  } catch (error) {
    if (options.model !== undefined) throw error;
  }
  if (!model) {
    return {
      model: null,
      threshold,
      groups,
      photos: photos.length,
      notEmbedded: photos.length,
      note: 'No model yet: only exact copies were looked for. Near-duplicates need embeddings (`dinoscope embed`).',
    };
  }

  const embeddings = loadEmbeddings(db, model.id);
  const { dim } = embeddings;
  const rows: number[] = [];
  for (let row = 0; row < embeddings.imageIds.length; row++) {
    if (!hidden.has(embeddings.imageIds[row]) && byId.has(embeddings.imageIds[row])) rows.push(row);
  }
  const count = rows.length;
  const vectors = new Float32Array(count * dim);
  rows.forEach((row, i) => {
    vectors.set(embeddings.vectors.subarray(row * dim, (row + 1) * dim), i * dim);
  });
  const photoOf = (i: number) => byId.get(embeddings.imageIds[rows[i]]) as PhotoRow;
  const similarity = (i: number, j: number) => {
    let s = 0;
    for (let c = 0; c < dim; c++) s += vectors[i * dim + c] * vectors[j * dim + c];
    return s;
  };

  if (count >= 2) {
    const k = Math.min(NEAR_CANDIDATES, count - 1);
    const graph = await knnGraph(vectors, count, dim, k, {
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const parent = Int32Array.from({ length: count }, (_, i) => i);
    const root = (i: number) => findRoot(parent, i);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < k; j++) {
        if (graph.similarities[i * k + j] < threshold) break;
        parent[root(graph.indices[i * k + j])] = root(i);
      }
    }
    const components = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const list = components.get(root(i)) ?? [];
      list.push(i);
      components.set(root(i), list);
    }
    for (const component of components.values()) {
      let remaining = component.sort((a, b) => keeperFirst(photoOf(a), photoOf(b)));
      while (remaining.length >= 2) {
        const keeper = remaining[0];
        const taken = remaining.slice(1).map((i) => ({ i, s: similarity(keeper, i) }));
        const near = taken.filter((t) => t.s >= threshold).sort((a, b) => b.s - a.s);
        if (near.length > 0) {
          groups.push({
            kind: 'near',
            keeperId: photoOf(keeper).imageId,
            members: [member(photoOf(keeper), 1), ...near.map((t) => member(photoOf(t.i), t.s))],
          });
        }
        const grouped = new Set(near.map((t) => t.i));
        remaining = remaining.slice(1).filter((i) => !grouped.has(i));
      }
    }
  }
  groups.sort((a, b) =>
    a.kind === b.kind ? b.members.length - a.members.length : a.kind === 'exact' ? -1 : 1,
  );
  const embedded = new Set(embeddings.imageIds);
  return {
    model: { id: model.id, name: model.name },
    threshold,
    groups,
    photos: photos.length,
    notEmbedded: photos.filter((photo) => !embedded.has(photo.imageId)).length,
    note: null,
  };
}

/** The copy to keep: most pixels, then the largest file (least compressed), then the oldest id. */
function keeperFirst(a: PhotoRow, b: PhotoRow): number {
  const pixels = (p: PhotoRow) => (p.width ?? 0) * (p.height ?? 0);
  return pixels(b) - pixels(a) || b.size - a.size || a.imageId - b.imageId;
}
