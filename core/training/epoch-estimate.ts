/**
 * What a person wants to know once a run has started: images/s on this machine and how long an
 * epoch and the rest of the run will take. Measured from the first steps of the session, leaving
 * out the first (it compiles shaders on WebGPU and warms V8 on wasm, and can take 10× longer).
 */
export interface EpochEstimate {
  imagesPerSecond: number;
  epochSeconds: number;
  remainingSeconds: number;
}

/** Steps timed for the estimate after the first: enough to average out one slow step. */
export const ESTIMATE_STEPS = 3;

export function estimateEpoch(
  stepSeconds: readonly number[],
  batchSize: number,
  stepsInEpoch: number,
  remainingSteps: number,
): EpochEstimate | null {
  const settled = stepSeconds.slice(1, 1 + ESTIMATE_STEPS);
  if (settled.length < ESTIMATE_STEPS) return null;
  const perStep = settled.reduce((a, b) => a + b, 0) / settled.length;
  return {
    imagesPerSecond: batchSize / perStep,
    epochSeconds: stepsInEpoch * perStep,
    remainingSeconds: remainingSteps * perStep,
  };
}

export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function describeEstimate(estimate: EpochEstimate): string {
  return (
    `Speed on this machine: ${estimate.imagesPerSecond.toFixed(1)} images/s; an epoch takes about ` +
    `${formatDuration(estimate.epochSeconds)}, the rest of the run about ${formatDuration(estimate.remainingSeconds)}.`
  );
}
