import type { Db } from './database.ts';

/**
 * A model's stored map: 2-D UMAP coordinates per photo, the parameters that made them, and the
 * embeddings fingerprint they were made from (a map is reused until the embeddings change).
 */
export interface ProjectionParams {
  nNeighbors: number;
  minDist: number;
  seed: number;
  nEpochs: number;
  minClusterSize: number;
  minSamples: number;
}

/** What the map job measured, shown by `dinoscope map` and the UI. */
export interface ProjectionSummary {
  photos: number;
  clusters: number;
  noise: number;
  knnEngine: string;
  seconds: { knn: number; layout: number; clusters: number; total: number };
  /** When folders are named by class: how well the map and the clusters keep them apart. */
  classAgreement: {
    classes: number;
    labelledPhotos: number;
    /** Share of each photo's 10 nearest map neighbours from its own class folder. */
    mapNeighbourAgreement: number;
    adjustedRandIndex: number;
    adjustedRandIndexClustered: number;
    purity: number;
    noiseFraction: number;
  } | null;
}

export interface StoredProjection {
  modelId: number;
  params: ProjectionParams;
  embeddingsFingerprint: string;
  summary: ProjectionSummary;
  createdAt: number;
  imageIds: Int32Array;
  /** imageIds.length × 2, row-major. */
  coordinates: Float32Array;
}

/** Replaces the model's map (the caller wraps it in a transaction with the clusters). */
export function saveProjection(db: Db, projection: Omit<StoredProjection, 'createdAt'>): void {
  const { modelId, imageIds, coordinates } = projection;
  db.prepare('DELETE FROM projections WHERE model_id = ?').run(modelId);
  db.prepare(
    'INSERT INTO projections (model_id, params, embeddings_fingerprint, summary, created_at) VALUES (?, ?, ?, ?, ?)',
  ).run(
    modelId,
    JSON.stringify(projection.params),
    projection.embeddingsFingerprint,
    JSON.stringify(projection.summary),
    Date.now(),
  );
  const insert = db.prepare('INSERT INTO projection_points (model_id, image_id, x, y) VALUES (?, ?, ?, ?)');
  for (let i = 0; i < imageIds.length; i++)
    insert.run(modelId, imageIds[i], coordinates[2 * i], coordinates[2 * i + 1]);
}

export function loadProjection(db: Db, modelId: number): StoredProjection | null {
  const row = db
    .prepare(
      'SELECT params, embeddings_fingerprint AS fingerprint, summary, created_at AS createdAt FROM projections WHERE model_id = ?',
    )
    .get(modelId) as { params: string; fingerprint: string; summary: string; createdAt: number } | undefined;
  if (!row) return null;
  const points = db
    .prepare('SELECT image_id AS imageId, x, y FROM projection_points WHERE model_id = ? ORDER BY image_id')
    .all(modelId) as { imageId: number; x: number; y: number }[];
  const coordinates = new Float32Array(points.length * 2);
  points.forEach((p, i) => {
    coordinates[2 * i] = p.x;
    coordinates[2 * i + 1] = p.y;
  });
  return {
    modelId,
    params: JSON.parse(row.params) as ProjectionParams,
    embeddingsFingerprint: row.fingerprint,
    summary: JSON.parse(row.summary) as ProjectionSummary,
    createdAt: row.createdAt,
    imageIds: Int32Array.from(points, (p) => p.imageId),
    coordinates,
  };
}
