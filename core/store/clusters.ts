import type { Db } from './database.ts';

/** A model's clusters: per cluster its size and most representative photos; per photo its cluster. */
export interface StoredCluster {
  /** −1 is the noise group. */
  cluster: number;
  size: number;
  /** Image ids, most representative (closest to the centroid) first. */
  representatives: number[];
}

/** Replaces the model's clusters (the caller wraps it in a transaction with the projection). */
export function saveClusters(
  db: Db,
  modelId: number,
  clusters: StoredCluster[],
  members: { imageIds: ArrayLike<number>; labels: ArrayLike<number> },
): void {
  db.prepare('DELETE FROM clusters WHERE model_id = ?').run(modelId);
  db.prepare('DELETE FROM cluster_members WHERE model_id = ?').run(modelId);
  const insertCluster = db.prepare(
    'INSERT INTO clusters (model_id, cluster, size, representatives) VALUES (?, ?, ?, ?)',
  );
  for (const c of clusters) insertCluster.run(modelId, c.cluster, c.size, JSON.stringify(c.representatives));
  const insertMember = db.prepare(
    'INSERT INTO cluster_members (model_id, image_id, cluster) VALUES (?, ?, ?)',
  );
  for (let i = 0; i < members.imageIds.length; i++)
    insertMember.run(modelId, members.imageIds[i], members.labels[i]);
}

export function loadClusters(
  db: Db,
  modelId: number,
): { clusters: StoredCluster[]; members: Map<number, number> } {
  const clusters = (
    db
      .prepare(
        'SELECT cluster, size, representatives FROM clusters WHERE model_id = ? ORDER BY cluster < 0, cluster',
      )
      .all(modelId) as { cluster: number; size: number; representatives: string }[]
  ).map((row) => ({ ...row, representatives: JSON.parse(row.representatives) as number[] }));
  const rows = db
    .prepare('SELECT image_id AS imageId, cluster FROM cluster_members WHERE model_id = ?')
    .all(modelId) as { imageId: number; cluster: number }[];
  return { clusters, members: new Map(rows.map((r) => [r.imageId, r.cluster])) };
}
