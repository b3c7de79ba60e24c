import { describe, expect, it } from 'vitest';
import { nearestFirst } from '../../../renderer/map/scatter-gl.ts';

describe('points on screen, nearest the centre first', () => {
  it('orders by distance up to a ring of equal area, and keeps every point once', () => {
    // 2,000 points on a spiral around (0.5, -0.25), shuffled.
    const n = 2000;
    const positions = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) {
      const r = (i + 1) / n;
      positions[2 * i] = 0.5 + r * Math.cos(i);
      positions[2 * i + 1] = -0.25 + r * Math.sin(i);
    }
    const shuffled = Array.from({ length: n }, (_, i) => (i * 7919) % n);
    const ordered = nearestFirst(shuffled, positions, 0.5, -0.25);
    expect([...ordered].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    const distance = (i: number) => Math.hypot(positions[2 * i] - 0.5, positions[2 * i + 1] + 0.25);
    // A point never comes after one that is clearly nearer (more than a ring's width of area).
    let nearestLater = Number.POSITIVE_INFINITY;
    for (let k = n - 1; k >= 0; k--) {
      const d = distance(ordered[k]);
      expect(d ** 2).toBeLessThanOrEqual(nearestLater ** 2 + 1 / 256 + 1e-9);
      nearestLater = Math.min(nearestLater, d);
    }
    expect(ordered[0]).toBeLessThan(20); // the first points of the spiral are the nearest
    expect(nearestFirst([], positions, 0, 0)).toHaveLength(0);
  });
});
