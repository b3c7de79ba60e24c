import { describe, expect, it } from 'vitest';
import { AtlasSlots } from '../../../renderer/map/atlas-slots.ts';

/** Plans a frame and loads every requested thumbnail at once (as if they all arrived). */
function frame(slots: AtlasSlots, wanted: number[]) {
  const plan = slots.plan(wanted);
  for (const index of plan.requested) slots.markLoaded(index, slots.slotFor(index) ?? -1);
  return plan;
}

describe('the atlas cells of the photo map', () => {
  it('keeps the photos still on screen when the view moves with the atlas full', () => {
    const slots = new AtlasSlots(8);
    frame(slots, [0, 1, 2, 3, 4, 5, 6, 7]);
    expect(frame(slots, [0, 1, 2, 3, 4, 5, 6, 7]).ready).toHaveLength(8);
    // The view moves: point 8 enters nearest the centre (first), point 7 leaves.
    const moved = slots.plan([8, 0, 1, 2, 3, 4, 5, 6]);
    expect(moved.ready.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(moved.requested).toEqual([8]);
    expect(slots.isLoaded(7)).toBe(false);
  });

  it('draws something in every frame of a long pan across a full atlas', () => {
    const slots = new AtlasSlots(64);
    for (let step = 0; step < 200; step++) {
      // 64 points on screen, 3 new ones each frame entering at the front (nearest the centre).
      const wanted = Array.from({ length: 64 }, (_, k) => step * 3 + k);
      wanted.unshift(...wanted.splice(61, 3));
      const plan = frame(slots, wanted);
      if (step > 0) expect(plan.ready.length).toBeGreaterThanOrEqual(61);
    }
  });

  it('never gives away a cell the same frame draws, and asks no more than fits', () => {
    const slots = new AtlasSlots(4);
    const plan = slots.plan([10, 11, 12, 13, 14, 15]);
    expect(plan.requested).toEqual([10, 11, 12, 13]);
    expect(slots.plan([20, 10, 11, 12]).requested).toEqual([20]);
    expect(slots.slotFor(13)).toBeUndefined();
  });

  it('keeps drawing the photos it has while the view moves to ones it has not loaded yet', () => {
    const slots = new AtlasSlots(4);
    frame(slots, [0, 1, 2, 3]);
    // The centre moved: four new points are nearest; the loaded four are still on screen.
    const moved = slots.plan([4, 5, 6, 7, 0, 1, 2, 3], 2);
    expect(moved.ready.map((r) => r.index).sort()).toEqual([0, 1, 2, 3]);
    expect(moved.requested).toEqual([4, 5]);
    // Cells are given up only as fast as the budget allows: two of the old photos remain.
    const next = slots.plan([4, 5, 6, 7, 0, 1, 2, 3], 2);
    expect(next.ready).toHaveLength(2);
    expect(next.requested).toEqual([]);
    expect(next.waiting).toEqual([4, 5]);
  });

  it('lets a photo without a thumbnail stay a dot without holding a cell or asking again', () => {
    const slots = new AtlasSlots(2);
    slots.plan([1, 2]);
    slots.markFailed(1);
    const next = slots.plan([1, 2, 3]);
    expect(next.requested).toEqual([3]);
    expect(slots.slotFor(1)).toBeUndefined();
  });
});
