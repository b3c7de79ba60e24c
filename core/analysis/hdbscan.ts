import { lowDimKnn } from './kd-tree.ts';
import { findRoot } from './union-find.ts';

/**
 * HDBSCAN (Campello, Moulavi & Sander 2013; McInnes' `hdbscan` library) on low-dimensional
 * points: core distances, the minimum spanning tree of the mutual reachability graph, the
 * single-linkage tree, its condensed form, and the excess-of-mass selection of the most stable
 * clusters; points in no selected cluster are noise (label −1). Written here because the npm
 * package `hdbscan-ts` 1.0.17 builds dense n × n arrays and took 30 s on 2,000 points (measured;
 * see bench/map.ts), where this takes milliseconds.
 */
export interface HdbscanOptions {
  /** Smallest group reported as a cluster; smaller groups split off as noise. */
  minClusterSize: number;
  /** Neighbourhood size (counting the point itself, as scikit-learn does) that sets the core distance. */
  minSamples: number;
}

export interface HdbscanResult {
  /** Per point: its cluster (0, 1, …, in order of discovery from the root) or −1 for noise. */
  labels: Int32Array;
  clusterCount: number;
  /** Per point: how firmly it belongs (λ at which it leaves its cluster / the cluster's largest λ); 0 for noise. */
  membership: Float64Array;
}

export function hdbscan(
  points: Float64Array | Float32Array,
  count: number,
  dim: number,
  options: HdbscanOptions,
): HdbscanResult {
  const minClusterSize = Math.max(2, Math.floor(options.minClusterSize));
  if (count < 2 || count < minClusterSize) {
    return { labels: new Int32Array(count).fill(-1), clusterCount: 0, membership: new Float64Array(count) };
  }
  const coreSquared = coreDistancesSquared(points, count, dim, options.minSamples);
  const mst = mutualReachabilityTree(points, count, dim, coreSquared);
  const linkage = singleLinkage(mst, count);
  const condensed = condenseTree(linkage, count, minClusterSize);
  const selected = selectClusters(condensed);
  return labelPoints(condensed, selected, count);
}

/** Squared distance to the (minSamples − 1)-th other point: the point itself counts as the first sample. */
function coreDistancesSquared(
  points: Float64Array | Float32Array,
  count: number,
  dim: number,
  minSamples: number,
) {
  const k = Math.min(Math.max(1, Math.floor(minSamples) - 1), count - 1);
  const core = new Float64Array(count);
  if (k === 0) return core;
  const knn = lowDimKnn(points, count, dim, k);
  for (let i = 0; i < count; i++) core[i] = knn.distances[i * k + k - 1] ** 2;
  return core;
}

interface Edges {
  from: Int32Array;
  to: Int32Array;
  weight: Float64Array;
}

/**
 * Prim's algorithm on the complete mutual reachability graph, max(d(a,b), core(a), core(b)),
 * computed on the fly: exact, O(n) memory, O(n² · dim) time.
 */
function mutualReachabilityTree(
  points: Float64Array | Float32Array,
  count: number,
  dim: number,
  coreSquared: Float64Array,
): Edges {
  const best = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  const bestFrom = new Int32Array(count);
  const remaining = new Int32Array(count - 1);
  for (let i = 1; i < count; i++) remaining[i - 1] = i;
  let remainingCount = count - 1;
  const edges: Edges = {
    from: new Int32Array(count - 1),
    to: new Int32Array(count - 1),
    weight: new Float64Array(count - 1),
  };
  let current = 0;
  for (let step = 0; step < count - 1; step++) {
    const currentCore = coreSquared[current];
    const base = current * dim;
    let nextSlot = -1;
    let nextDistance = Number.POSITIVE_INFINITY;
    for (let r = 0; r < remainingCount; r++) {
      const j = remaining[r];
      let d = 0;
      for (let c = 0; c < dim; c++) {
        const diff = points[base + c] - points[j * dim + c];
        d += diff * diff;
      }
      if (currentCore > d) d = currentCore;
      if (coreSquared[j] > d) d = coreSquared[j];
      if (d < best[j]) {
        best[j] = d;
        bestFrom[j] = current;
      }
      if (best[j] < nextDistance) {
        nextDistance = best[j];
        nextSlot = r;
      }
    }
    const next = remaining[nextSlot];
    remaining[nextSlot] = remaining[--remainingCount];
    edges.from[step] = bestFrom[next];
    edges.to[step] = next;
    edges.weight[step] = Math.sqrt(nextDistance);
    current = next;
  }
  return edges;
}

/** scipy-style linkage: row i merges nodes left[i] and right[i] (points < count, merges count + row) at distance[i]. */
interface Linkage {
  left: Int32Array;
  right: Int32Array;
  distance: Float64Array;
  size: Int32Array;
}

function singleLinkage(mst: Edges, count: number): Linkage {
  const order = Array.from({ length: count - 1 }, (_, i) => i).sort(
    (a, b) => mst.weight[a] - mst.weight[b] || a - b,
  );
  const parent = new Int32Array(2 * count - 1);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (x: number) => findRoot(parent, x);
  const nodeSize = new Int32Array(2 * count - 1).fill(1);
  const linkage: Linkage = {
    left: new Int32Array(count - 1),
    right: new Int32Array(count - 1),
    distance: new Float64Array(count - 1),
    size: new Int32Array(count - 1),
  };
  order.forEach((edge, row) => {
    const a = find(mst.from[edge]);
    const b = find(mst.to[edge]);
    const merged = count + row;
    parent[a] = merged;
    parent[b] = merged;
    nodeSize[merged] = nodeSize[a] + nodeSize[b];
    linkage.left[row] = a;
    linkage.right[row] = b;
    linkage.distance[row] = mst.weight[edge];
    linkage.size[row] = nodeSize[merged];
  });
  return linkage;
}

/**
 * The condensed tree: walking down from the root, a split where both sides hold at least
 * minClusterSize points makes two child clusters; otherwise the small side's points fall out of
 * the cluster at that λ = 1 / distance. Rows: (parent cluster, child cluster or point, λ, size).
 * Cluster ids start at `count` (the root) as in the reference.
 */
interface CondensedTree {
  count: number;
  parent: number[];
  child: number[];
  lambda: number[];
  childSize: number[];
  clusterCount: number;
}

function condenseTree(linkage: Linkage, count: number, minClusterSize: number): CondensedTree {
  const root = 2 * count - 2;
  const tree: CondensedTree = { count, parent: [], child: [], lambda: [], childSize: [], clusterCount: 1 };
  const label = new Int32Array(2 * count - 1);
  label[root] = count;
  let nextLabel = count + 1;
  const sizeOf = (node: number) => (node < count ? 1 : linkage.size[node - count]);
  const add = (parent: number, child: number, lambda: number, size: number) => {
    tree.parent.push(parent);
    tree.child.push(child);
    tree.lambda.push(lambda);
    tree.childSize.push(size);
  };
  const fallOut = (node: number, parent: number, lambda: number) => {
    const stack = [node];
    while (stack.length > 0) {
      const n = stack.pop() as number;
      if (n < count) add(parent, n, lambda, 1);
      else stack.push(linkage.left[n - count], linkage.right[n - count]);
    }
  };
  // Breadth-first so that cluster labels grow with depth (children after their parents).
  const queue = [root];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head];
    if (node < count) continue;
    const row = node - count;
    const distance = linkage.distance[row];
    const lambda = distance > 0 ? 1 / distance : Number.POSITIVE_INFINITY;
    const left = linkage.left[row];
    const right = linkage.right[row];
    const leftSize = sizeOf(left);
    const rightSize = sizeOf(right);
    const parent = label[node];
    if (leftSize >= minClusterSize && rightSize >= minClusterSize) {
      label[left] = nextLabel++;
      add(parent, label[left], lambda, leftSize);
      label[right] = nextLabel++;
      add(parent, label[right], lambda, rightSize);
      queue.push(left, right);
    } else if (leftSize < minClusterSize && rightSize < minClusterSize) {
      fallOut(left, parent, lambda);
      fallOut(right, parent, lambda);
    } else if (leftSize < minClusterSize) {
      fallOut(left, parent, lambda);
      label[right] = parent;
      queue.push(right);
    } else {
      fallOut(right, parent, lambda);
      label[left] = parent;
      queue.push(left);
    }
  }
  tree.clusterCount = nextLabel - count;
  return tree;
}

/** Excess of mass: keep a cluster when its own stability beats the sum of its selected descendants'. */
function selectClusters(tree: CondensedTree): Set<number> {
  const { count, clusterCount } = tree;
  const birth = new Float64Array(clusterCount);
  const stability = new Float64Array(clusterCount);
  const children: number[][] = Array.from({ length: clusterCount }, () => []);
  for (let r = 0; r < tree.child.length; r++) {
    if (tree.child[r] >= count) {
      birth[tree.child[r] - count] = tree.lambda[r];
      children[tree.parent[r] - count].push(tree.child[r] - count);
    }
  }
  for (let r = 0; r < tree.child.length; r++) {
    const p = tree.parent[r] - count;
    const lambda = Number.isFinite(tree.lambda[r]) ? tree.lambda[r] : birth[p];
    stability[p] += (lambda - birth[p]) * tree.childSize[r];
  }
  const isSelected = new Uint8Array(clusterCount);
  // Children have larger ids than parents: visit leaves first. The root (0) is never a cluster.
  for (let c = clusterCount - 1; c >= 1; c--) {
    let subtree = 0;
    for (const child of children[c]) subtree += stability[child];
    if (children[c].length > 0 && subtree > stability[c]) {
      stability[c] = subtree;
    } else {
      isSelected[c] = 1;
      const stack = [...children[c]];
      while (stack.length > 0) {
        const d = stack.pop() as number;
        isSelected[d] = 0;
        stack.push(...children[d]);
      }
    }
  }
  const selected = new Set<number>();
  for (let c = 1; c < clusterCount; c++) if (isSelected[c]) selected.add(c + count);
  return selected;
}

function labelPoints(tree: CondensedTree, selected: Set<number>, count: number): HdbscanResult {
  const parentOf = new Map<number, number>();
  for (let r = 0; r < tree.child.length; r++)
    if (tree.child[r] >= count) parentOf.set(tree.child[r], tree.parent[r]);
  const clusterLabel = new Map<number, number>();
  for (const c of [...selected].sort((a, b) => a - b)) clusterLabel.set(c, clusterLabel.size);
  // The selected ancestor of each condensed-tree cluster, if any.
  const owner = new Map<number, number>();
  const ownerOf = (cluster: number): number => {
    const known = owner.get(cluster);
    if (known !== undefined) return known;
    let result = -1;
    if (selected.has(cluster)) result = cluster;
    else {
      const parent = parentOf.get(cluster);
      if (parent !== undefined) result = ownerOf(parent);
    }
    owner.set(cluster, result);
    return result;
  };
  const labels = new Int32Array(count).fill(-1);
  const pointLambda = new Float64Array(count);
  const maxLambda = new Map<number, number>();
  for (let r = 0; r < tree.child.length; r++) {
    const point = tree.child[r];
    if (point >= count) continue;
    const cluster = ownerOf(tree.parent[r]);
    if (cluster < 0) continue;
    labels[point] = clusterLabel.get(cluster) as number;
    const lambda = Number.isFinite(tree.lambda[r]) ? tree.lambda[r] : Number.MAX_VALUE;
    pointLambda[point] = lambda;
    if (lambda > (maxLambda.get(cluster) ?? 0)) maxLambda.set(cluster, lambda);
  }
  const membership = new Float64Array(count);
  const maxByLabel = new Float64Array(clusterLabel.size);
  for (const [cluster, label] of clusterLabel) maxByLabel[label] = maxLambda.get(cluster) ?? 0;
  for (let i = 0; i < count; i++) {
    if (labels[i] >= 0)
      membership[i] = maxByLabel[labels[i]] > 0 ? pointLambda[i] / maxByLabel[labels[i]] : 1;
  }
  return { labels, clusterCount: clusterLabel.size, membership };
}
