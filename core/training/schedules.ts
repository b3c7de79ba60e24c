/**
 * The reference's precomputed per-iteration schedules (`utils.cosine_scheduler`): an optional
 * linear warm-up from `startWarmupValue` to `baseValue`, then a half cosine from `baseValue` to
 * `finalValue`, one value per iteration of the whole run. Computed in float64 as NumPy does.
 */
export function cosineScheduler(
  baseValue: number,
  finalValue: number,
  epochs: number,
  iterationsPerEpoch: number,
  warmupEpochs = 0,
  startWarmupValue = 0,
): Float64Array {
  const total = epochs * iterationsPerEpoch;
  const warmupIterations = warmupEpochs * iterationsPerEpoch;
  if (warmupIterations > total) {
    throw new Error(`Warm-up of ${warmupEpochs} epochs is longer than the ${epochs}-epoch run.`);
  }
  const schedule = new Float64Array(total);
  if (warmupEpochs > 0) schedule.set(linspace(startWarmupValue, baseValue, warmupIterations));
  const cosineIterations = total - warmupIterations;
  for (let i = 0; i < cosineIterations; i++) {
    schedule[warmupIterations + i] =
      finalValue + 0.5 * (baseValue - finalValue) * (1 + Math.cos((Math.PI * i) / cosineIterations));
  }
  return schedule;
}

/** `numpy.linspace(start, stop, count)`: evenly spaced, both ends included, the last exactly `stop`. */
export function linspace(start: number, stop: number, count: number): Float64Array {
  const out = new Float64Array(count);
  const step = (stop - start) / (count - 1);
  for (let i = 0; i < count; i++) out[i] = start + i * step;
  if (count > 1) out[count - 1] = stop;
  else if (count === 1) out[0] = start;
  return out;
}
