import type { MapData, MapPoint } from '../api.ts';
import type { Db } from '../store/database.ts';

/**
 * The stored UMAP layout and clusters of a model, as the Map view draws them. Read straight from
 * the tables the map job fills (projections, projection_points, clusters, cluster_members).
 */
export class MapQueries {
  constructor(private readonly db: Db) {}

  hasFreshMap(modelId: number, fingerprint: string): boolean {
    const row = this.db
      .prepare('SELECT embeddings_fingerprint AS fingerprint FROM projections WHERE model_id = ?')
      .get(modelId) as { fingerprint: string } | undefined;
    return row?.fingerprint === fingerprint;
  }

  map(modelId: number, fingerprint: string): MapData | null {
    const projection = this.db
      .prepare('SELECT embeddings_fingerprint AS fingerprint FROM projections WHERE model_id = ?')
      .get(modelId) as { fingerprint: string } | undefined;
    if (!projection) return null;
    const points = this.db
      .prepare(
        `SELECT p.image_id AS imageId, p.x, p.y, coalesce(c.cluster, -1) AS cluster
         FROM projection_points p
         JOIN images i ON i.id = p.image_id AND i.status = 'ok'
         LEFT JOIN cluster_members c ON c.model_id = p.model_id AND c.image_id = p.image_id
         WHERE p.model_id = ? ORDER BY p.image_id`,
      )
      .all(modelId) as MapPoint[];
    const clusters = (
      this.db
        .prepare('SELECT cluster, size, representatives FROM clusters WHERE model_id = ? ORDER BY cluster')
        .all(modelId) as { cluster: number; size: number; representatives: string }[]
    ).map((row) => ({
      cluster: row.cluster,
      size: row.size,
      representatives: JSON.parse(row.representatives) as number[],
    }));
    return { modelId, points, clusters, stale: projection.fingerprint !== fingerprint };
  }

  /** Cluster of each image of a model's map (for exports of a selection). */
  clustersOf(modelId: number): Map<number, number> {
    const rows = this.db
      .prepare('SELECT image_id AS imageId, cluster FROM cluster_members WHERE model_id = ?')
      .all(modelId) as { imageId: number; cluster: number }[];
    return new Map(rows.map((row) => [row.imageId, row.cluster]));
  }
}
