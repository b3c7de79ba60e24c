/**
 * Which point's thumbnail sits in which cell of one texture atlas: a fixed pool of cells, the
 * least recently drawn given up first, so GPU memory stays bounded whatever the library's size.
 *
 * A frame first marks every point it wants that already has a cell, and only then reserves cells
 * for the missing ones. Reserving as it went (the earlier way) let a point entering the view evict
 * a point further down the same frame's list; that one then evicted the next, and while the view
 * moved with the screen full of photos the cascade emptied the atlas: frames drew no thumbnail.
 */
export class AtlasSlots {
  /** Point index → cell. */
  private readonly slotOf = new Map<number, number>();
  /** Cell → point index (−1 free). */
  private readonly owner: Int32Array;
  /** Frame each cell was last wanted: the oldest is given up first. */
  private readonly lastUsed: Float64Array;
  private readonly loaded: Uint8Array;
  /** Points whose thumbnail failed to load: they stay dots and hold no cell. */
  private readonly failed = new Set<number>();
  private frame = 0;

  constructor(readonly size: number) {
    this.owner = new Int32Array(size).fill(-1);
    this.lastUsed = new Float64Array(size);
    this.loaded = new Uint8Array(size);
  }

  /**
   * One frame's points on screen, most wanted first. The first `size` of them that have (or may
   * have) a thumbnail are the frame's window: they keep their cells, and at most `budget` of the
   * window wait for a thumbnail at once (no more than can load soon, so a moving view gives cells
   * up only as fast as new thumbnails arrive). Points further down the list that still hold a
   * loaded thumbnail are drawn too, and given up after points off screen.
   *
   * Returns the cells to draw (the window's first), the points given a cell now, and every point
   * of the window still waiting for its thumbnail, most wanted first: the order to load them in.
   */
  plan(
    wanted: ArrayLike<number>,
    budget = Number.POSITIVE_INFINITY,
  ): {
    ready: { index: number; slot: number }[];
    requested: number[];
    waiting: number[];
  } {
    this.frame++;
    const ready: { index: number; slot: number }[] = [];
    const missing: number[] = [];
    const waiting: number[] = [];
    // Photos without a thumbnail do not count against the window (within a bound, so a crowd of
    // them cannot make one frame walk every point on screen).
    const reach = Math.min(wanted.length, 16 * this.size);
    let k = 0;
    for (let considered = 0; k < reach && considered < this.size; k++) {
      const index = wanted[k];
      if (this.failed.has(index)) continue;
      considered++;
      const slot = this.slotOf.get(index);
      if (slot === undefined) {
        missing.push(index);
        continue;
      }
      this.lastUsed[slot] = this.frame;
      if (this.loaded[slot]) ready.push({ index, slot });
      else waiting.push(index);
    }
    // On screen beyond the window: drawn while they last, given up after what is off screen.
    for (let j = k; j < reach; j++) {
      const slot = this.slotOf.get(wanted[j]);
      if (slot === undefined || !this.loaded[slot]) continue;
      this.lastUsed[slot] = Math.max(this.lastUsed[slot], this.frame - 0.5);
      ready.push({ index: wanted[j], slot });
    }
    const requested: number[] = [];
    for (const index of missing) {
      if (requested.length + waiting.length >= budget) break;
      const slot = this.reserve(index);
      if (slot < 0) break; // every cell is wanted by this frame
      requested.push(index);
    }
    // The window's order is the load order.
    const order = new Map<number, number>();
    for (let j = 0; j < k; j++) order.set(wanted[j], j);
    waiting.push(...requested);
    waiting.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    return { ready, requested, waiting };
  }

  /** The point's cell while it still owns it (a load that arrives late may find it given away). */
  slotFor(index: number): number | undefined {
    return this.slotOf.get(index);
  }

  markLoaded(index: number, slot: number): boolean {
    if (this.owner[slot] !== index) return false;
    this.loaded[slot] = 1;
    return true;
  }

  /** The thumbnail could not be loaded: give the cell back and do not ask again. */
  markFailed(index: number): void {
    this.failed.add(index);
    const slot = this.slotOf.get(index);
    if (slot === undefined) return;
    this.slotOf.delete(index);
    this.owner[slot] = -1;
    this.loaded[slot] = 0;
    this.lastUsed[slot] = 0;
  }

  isLoaded(index: number): boolean {
    const slot = this.slotOf.get(index);
    return slot !== undefined && this.loaded[slot] === 1;
  }

  private reserve(index: number): number {
    let slot = -1;
    let oldest = Number.POSITIVE_INFINITY;
    for (let s = 0; s < this.size; s++) {
      if (this.owner[s] < 0) {
        slot = s;
        break;
      }
      // Never give up what this frame draws.
      if (this.lastUsed[s] < this.frame && this.lastUsed[s] < oldest) {
        oldest = this.lastUsed[s];
        slot = s;
      }
    }
    if (slot < 0) return -1;
    if (this.owner[slot] >= 0) this.slotOf.delete(this.owner[slot]);
    this.owner[slot] = index;
    this.slotOf.set(index, slot);
    this.loaded[slot] = 0;
    this.lastUsed[slot] = this.frame;
    return slot;
  }
}
