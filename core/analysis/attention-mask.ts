/**
 * The reference's attention threshold (`visualize_attention.py`): sort a head's attention,
 * normalise it to sum 1, and keep the patches whose cumulative mass from the smallest up exceeds
 * 1 − threshold, that is the smallest set of patches, largest first, holding `threshold` of the
 * attention. Ties are ordered by patch index, as a stable sort would.
 */
export function massMask(values: ArrayLike<number>, threshold = 0.6): Uint8Array {
  if (!(threshold > 0 && threshold <= 1))
    throw new Error(`--threshold must be in (0, 1] (got ${threshold}).`);
  const n = values.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += values[i];
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
  const keep = new Uint8Array(n);
  let cumulative = 0;
  for (const i of order) {
    cumulative += total > 0 ? values[i] / total : 1 / n;
    if (cumulative > 1 - threshold) keep[i] = 1;
  }
  return keep;
}

/** Share of the attention inside a mask. */
export function maskedMass(values: ArrayLike<number>, mask: Uint8Array): number {
  let inside = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    total += values[i];
    if (mask[i]) inside += values[i];
  }
  return total > 0 ? inside / total : 0;
}
