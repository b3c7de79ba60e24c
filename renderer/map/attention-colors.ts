/** Inferno (matplotlib), sampled at 9 stops: perceptually uniform, readable over photos. */
const INFERNO: [number, number, number][] = [
  [0, 0, 4],
  [31, 12, 72],
  [85, 15, 109],
  [136, 34, 106],
  [186, 54, 85],
  [227, 89, 51],
  [249, 140, 10],
  [249, 201, 50],
  [252, 255, 164],
];

export function inferno(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(x));
  const f = x - i;
  const a = INFERNO[i];
  const b = INFERNO[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/**
 * The reference's mask: the smallest set of patches that together hold `mass` of the attention
 * (sorted by weight, most first, kept while the cumulative sum stays within `mass`).
 */
export function massMask(weights: number[], mass = 0.6): boolean[] {
  const total = weights.reduce((sum, w) => sum + w, 0) || 1;
  const order = weights.map((_weight, i) => i).sort((a, b) => weights[b] - weights[a]);
  const keep = new Array<boolean>(weights.length).fill(false);
  let cumulative = 0;
  for (const i of order) {
    if (cumulative / total >= mass) break;
    keep[i] = true;
    cumulative += weights[i];
  }
  return keep;
}
