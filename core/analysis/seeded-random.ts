/**
 * A small seeded PRNG (mulberry32): the same seed gives the same map. UMAP draws a few hundred
 * million numbers per layout, so it must be cheap; statistical quality beyond that is not needed
 * (the reference UMAP uses a three-word Tausworthe generator for the same job).
 */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
