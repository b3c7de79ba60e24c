/**
 * Progress of a long job as data: the terminal bar, the per-step logs and the UI all render the
 * same events. Rate is smoothed over a sliding window so that the ETA does not jump around.
 */
export interface ProgressEvent {
  job: string; // 'scan' | 'train' | 'embed' | 'map' | ...
  phase?: string; // a job with stages names the current one (e.g. 'k-NN graph', 'epochs')
  done: number;
  total: number; // 0 when not yet known
  ratePerSecond: number; // items per second over the recent window
  etaSeconds: number | null; // null while unknown
  elapsedSeconds: number;
  detail?: Record<string, number | string>; // job-specific figures (loss, lr, current file, ...)
}

export type ProgressListener = (event: ProgressEvent) => void;

const WINDOW_MS = 10_000;

export class ProgressTracker {
  private readonly startedAt: number;
  private readonly samples: { at: number; done: number }[] = [];
  private done = 0;

  constructor(
    private readonly job: string,
    private total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
    this.samples.push({ at: this.startedAt, done: 0 });
  }

  setTotal(total: number): void {
    this.total = total;
  }

  /** Records progress and returns the event to publish. */
  update(done: number, extra: { phase?: string; detail?: ProgressEvent['detail'] } = {}): ProgressEvent {
    this.done = done;
    const at = this.now();
    this.samples.push({ at, done });
    while (this.samples.length > 2 && at - this.samples[0].at > WINDOW_MS) this.samples.shift();
    return this.snapshot(extra);
  }

  snapshot(extra: { phase?: string; detail?: ProgressEvent['detail'] } = {}): ProgressEvent {
    const at = this.now();
    const first = this.samples[0];
    const seconds = (at - first.at) / 1000;
    const ratePerSecond = seconds > 0 ? (this.done - first.done) / seconds : 0;
    const remaining = Math.max(0, this.total - this.done);
    return {
      job: this.job,
      ...(extra.phase === undefined ? {} : { phase: extra.phase }),
      done: this.done,
      total: this.total,
      ratePerSecond,
      etaSeconds: this.total > 0 && ratePerSecond > 0 ? remaining / ratePerSecond : null,
      elapsedSeconds: (at - this.startedAt) / 1000,
      ...(extra.detail === undefined ? {} : { detail: extra.detail }),
    };
  }
}
