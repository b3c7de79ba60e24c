/**
 * Exact k nearest neighbours (Euclidean) among low-dimensional points with a static k-d tree:
 * the map's 2-D coordinates or a few UMAP components. O(n log n) where a scan would be O(n²).
 */
export interface LowDimKnn {
  k: number;
  /** count × k rows of neighbour indices (the point itself excluded), nearest first. */
  indices: Int32Array;
  /** count × k Euclidean distances, ascending. */
  distances: Float64Array;
}

const LEAF_SIZE = 16;

export function lowDimKnn(
  points: Float64Array | Float32Array,
  count: number,
  dim: number,
  k: number,
): LowDimKnn {
  if (k >= count) throw new Error(`Cannot find ${k} neighbours among ${count} points.`);
  const tree = new KdTree(points, count, dim);
  const indices = new Int32Array(count * k);
  const distances = new Float64Array(count * k);
  const heapIndex = new Int32Array(k);
  const heapDistance = new Float64Array(k);
  for (let i = 0; i < count; i++) {
    tree.query(i, k, heapIndex, heapDistance);
    // The heap holds the k best with the worst on top; sort them ascending.
    const order = Array.from({ length: k }, (_, j) => j).sort(
      (x, y) => heapDistance[x] - heapDistance[y] || heapIndex[x] - heapIndex[y],
    );
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = heapIndex[order[j]];
      distances[i * k + j] = Math.sqrt(heapDistance[order[j]]);
    }
  }
  return { k, indices, distances };
}

class KdTree {
  private readonly order: Int32Array;
  // Per node: range [start, end) in `order`, split dimension and value, children (−1 for a leaf).
  private readonly start: number[] = [];
  private readonly end: number[] = [];
  private readonly splitDim: number[] = [];
  private readonly splitValue: number[] = [];
  private readonly left: number[] = [];
  private readonly right: number[] = [];

  constructor(
    private readonly points: Float64Array | Float32Array,
    count: number,
    private readonly dim: number,
  ) {
    this.order = new Int32Array(count);
    for (let i = 0; i < count; i++) this.order[i] = i;
    this.build(0, count);
  }

  private build(start: number, end: number): number {
    const node = this.start.length;
    this.start.push(start);
    this.end.push(end);
    this.splitDim.push(-1);
    this.splitValue.push(0);
    this.left.push(-1);
    this.right.push(-1);
    if (end - start <= LEAF_SIZE) return node;
    // Split the widest dimension at its median.
    let widest = 0;
    let widestSpan = -1;
    for (let d = 0; d < this.dim; d++) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = start; i < end; i++) {
        const v = this.points[this.order[i] * this.dim + d];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi - lo > widestSpan) {
        widestSpan = hi - lo;
        widest = d;
      }
    }
    if (widestSpan <= 0) return node; // all points equal: keep one leaf
    const middle = (start + end) >> 1;
    this.select(start, end, middle, widest);
    this.splitDim[node] = widest;
    this.splitValue[node] = this.points[this.order[middle] * this.dim + widest];
    this.left[node] = this.build(start, middle);
    this.right[node] = this.build(middle, end);
    return node;
  }

  /** Quickselect: order[start..end) partitioned so that order[nth] holds the nth smallest along d. */
  private select(start: number, end: number, nth: number, d: number): void {
    const { order, points, dim } = this;
    let lo = start;
    let hi = end - 1;
    while (hi > lo) {
      const pivot = points[order[(lo + hi) >> 1] * dim + d];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (points[order[i] * dim + d] < pivot) i++;
        while (points[order[j] * dim + d] > pivot) j--;
        if (i <= j) {
          const t = order[i];
          order[i] = order[j];
          order[j] = t;
          i++;
          j--;
        }
      }
      if (nth <= j) hi = j;
      else if (nth >= i) lo = i;
      else return;
    }
  }

  /** Fills a max-heap (squared distances) with the k nearest other points of point q. */
  query(q: number, k: number, heapIndex: Int32Array, heapDistance: Float64Array): void {
    heapIndex.fill(-1);
    heapDistance.fill(Number.POSITIVE_INFINITY);
    this.search(0, q, k, heapIndex, heapDistance);
  }

  private search(
    node: number,
    q: number,
    k: number,
    heapIndex: Int32Array,
    heapDistance: Float64Array,
  ): void {
    const { points, dim, order } = this;
    const d = this.splitDim[node];
    if (d < 0) {
      for (let i = this.start[node]; i < this.end[node]; i++) {
        const p = order[i];
        if (p === q) continue;
        let dist = 0;
        for (let c = 0; c < dim; c++) {
          const diff = points[p * dim + c] - points[q * dim + c];
          dist += diff * diff;
        }
        if (dist < heapDistance[0]) siftDown(heapIndex, heapDistance, k, p, dist);
      }
      return;
    }
    const offset = points[q * dim + d] - this.splitValue[node];
    const near = offset < 0 ? this.left[node] : this.right[node];
    const far = offset < 0 ? this.right[node] : this.left[node];
    this.search(near, q, k, heapIndex, heapDistance);
    if (offset * offset < heapDistance[0]) this.search(far, q, k, heapIndex, heapDistance);
  }
}

/** Replaces the heap's top (the worst kept) with a better candidate and restores the max-heap. */
function siftDown(
  heapIndex: Int32Array,
  heapDistance: Float64Array,
  k: number,
  index: number,
  dist: number,
): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let largest = i;
    let largestDist = dist;
    if (l < k && heapDistance[l] > largestDist) {
      largest = l;
      largestDist = heapDistance[l];
    }
    if (r < k && heapDistance[r] > largestDist) {
      largest = r;
      largestDist = heapDistance[r];
    }
    if (largest === i) break;
    heapIndex[i] = heapIndex[largest];
    heapDistance[i] = heapDistance[largest];
    i = largest;
  }
  heapIndex[i] = index;
  heapDistance[i] = dist;
}
