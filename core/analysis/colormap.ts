import { interpolateInferno } from 'd3-scale-chromatic';

/**
 * Inferno (van der Walt & Smith's perceptually uniform colormap, as matplotlib and d3 ship it):
 * dark purple for little attention to pale yellow for much, readable in greyscale too.
 * 256 RGB entries.
 */
export const INFERNO: Uint8Array = (() => {
  const table = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const colour = interpolateInferno(i / 255);
    const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
    const rgb = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(colour);
    const parts = hex ? hex.slice(1).map((h) => Number.parseInt(h, 16)) : rgb?.slice(1).map(Number);
    if (!parts) throw new Error(`Unexpected colour "${colour}" from d3-scale-chromatic.`);
    table.set(parts, i * 3);
  }
  return table;
})();

/** The colormap entry of each value, scaled so that the map's minimum is dark and its maximum bright. */
export function colorize(values: ArrayLike<number>, table: Uint8Array = INFERNO): Uint8Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  const span = max > min ? max - min : 1;
  const out = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) {
    const level = Math.round(((values[i] - min) / span) * 255);
    out[i * 3] = table[level * 3];
    out[i * 3 + 1] = table[level * 3 + 1];
    out[i * 3 + 2] = table[level * 3 + 2];
  }
  return out;
}
