import type { MapData } from '../api.ts';
import { loadClusters } from '../store/clusters.ts';
import type { Db } from '../store/database.ts';
import { loadProjection } from '../store/projections.ts';

/** The stored UMAP layout and clusters of a model (written by the map job), as the Map view draws them. */
export class MapQueries {
  constructor(private readonly db: Db) {}

  hasFreshMap(modelId: number, fingerprint: string): boolean {
    const row = this.db
      .prepare('SELECT embeddings_fingerprint AS fingerprint FROM projections WHERE model_id = ?')
      .get(modelId) as { fingerprint: string } | undefined;
    return row?.fingerprint === fingerprint;
  }

  map(modelId: number, fingerprint: string): MapData | null {
    const projection = loadProjection(this.db, modelId);
    if (!projection) return null;
    const { clusters, members } = loadClusters(this.db, modelId);
    // Photos deleted or gone missing since the map was made are left out until it is recomputed.
    const readable = new Set(
      (this.db.prepare("SELECT id FROM images WHERE status = 'ok'").all() as { id: number }[]).map(
        (row) => row.id,
      ),
    );
    const points: MapData['points'] = { imageIds: [], x: [], y: [], cluster: [] };
    for (let i = 0; i < projection.imageIds.length; i++) {
      const imageId = projection.imageIds[i];
      if (!readable.has(imageId)) continue;
      points.imageIds.push(imageId);
      points.x.push(projection.coordinates[2 * i]);
      points.y.push(projection.coordinates[2 * i + 1]);
      points.cluster.push(members.get(imageId) ?? -1);
    }
    return { modelId, points, clusters, stale: projection.embeddingsFingerprint !== fingerprint };
  }

  /** Cluster of each image of a model's map (for exports of a selection). */
  clustersOf(modelId: number): Map<number, number> {
    return loadClusters(this.db, modelId).members;
  }
}
