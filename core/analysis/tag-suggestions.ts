import type { TagSuggestion } from '../api.ts';
import type { Db } from '../store/database.ts';
import { loadEmbeddings } from '../store/embeddings.ts';
import { resolveModel } from '../store/models.ts';
import { tagsOfImages } from '../store/tags.ts';
import type { KnnEngine } from './knn-graph.ts';
import { propagateTags } from './tag-propagation.ts';

/**
 * Suggestions for every untagged photo that has an embedding under a model, from the photos a
 * person tagged: the review queue, least confident first (where a person's answer teaches most).
 */
export interface TagSuggestions {
  model: { id: number; name: string };
  /** Tagged photos that voted (tagged and embedded). */
  tagged: number;
  k: number;
  temperature: number;
  /** Least confident first; ties by image id. */
  suggestions: TagSuggestion[];
}

export async function suggestTags(
  db: Db,
  options: {
    model?: string | number;
    k?: number;
    temperature?: number;
    engine?: KnnEngine;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<TagSuggestions> {
  const model = resolveModel(db, options.model);
  const { imageIds, dim, vectors } = loadEmbeddings(db, model.id);
  const tagsByImage = tagsOfImages(db);
  const names = [...new Set([...tagsByImage.values()].flat())].sort((a, b) => a.localeCompare(b));
  const tagIndex = new Map(names.map((name, i) => [name, i]));
  const taggedRows: number[] = [];
  const offsets: number[] = [0];
  const indices: number[] = [];
  imageIds.forEach((id, row) => {
    const tags = tagsByImage.get(id);
    if (!tags) return;
    taggedRows.push(row);
    for (const tag of tags) indices.push(tagIndex.get(tag) as number);
    offsets.push(indices.length);
  });
  const propagation = await propagateTags(
    {
      vectors,
      count: imageIds.length,
      dim,
      taggedRows: Int32Array.from(taggedRows),
      tagOffsets: Int32Array.from(offsets),
      tagIndices: Int32Array.from(indices),
      tagCount: names.length,
    },
    options,
  );
  const suggestions: TagSuggestion[] = [];
  if (taggedRows.length > 0) {
    propagation.rows.forEach((row, i) => {
      const tag = propagation.suggested[i];
      if (tag < 0) return;
      const runnerUp = propagation.runnerUp[i];
      suggestions.push({
        imageId: imageIds[row],
        tag: names[tag],
        confidence: propagation.confidence[i],
        runnerUp: runnerUp < 0 ? null : names[runnerUp],
      });
    });
  }
  suggestions.sort((a, b) => a.confidence - b.confidence || a.imageId - b.imageId);
  return {
    model: { id: model.id, name: model.name },
    tagged: taggedRows.length,
    k: propagation.k,
    temperature: propagation.temperature,
    suggestions,
  };
}
