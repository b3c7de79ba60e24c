import { createInterface } from 'node:readline';
import type { ApiEvent, JobFailure, JobInfo, JobKind, JobProgress, TrainingMetric } from '../api.ts';
import type { CliLauncher, CliProcess } from './cli-process.ts';

/** What to run: the CLI arguments of the job, and those that continue it after a stop or a crash. */
export interface JobSpec {
  kind: JobKind;
  title: string;
  args: string[];
  /** Arguments of the command that continues this job from what it saved; null when it cannot. */
  resumeArgs: string[] | null;
  /** How cancel reaches the command: SIGINT (default, the CLI's Ctrl-C) or SIGTERM (training: SIGINT pauses it). */
  cancelBy?: 'interrupt' | 'terminate';
}

/** How long a job may take to stop at its next safe point before it is killed. */
const STOP_GRACE_MS = 20_000;
/** Progress events are forwarded at most this often per job; status changes always are. */
const PROGRESS_INTERVAL_MS = 150;
const STDERR_LINES_KEPT = 40;

interface RunningJob {
  info: JobInfo;
  spec: JobSpec;
  process: CliProcess | null;
  stopRequested: 'pause' | 'cancel' | null;
  lastProgressSentAt: number;
  stderr: string[];
  killTimer: NodeJS.Timeout | null;
  /** Ended by force after a stop request went unanswered for the grace period. */
  forced: boolean;
}

/**
 * Runs long jobs as background CLI processes (`dinoscope --events ...`) so that the job logic lives
 * in one place (the CLI) and a crash never takes the UI with it. Reads the JSON progress lines,
 * turns them into `ApiEvent`s, and when a process dies says why and whether it can be resumed.
 */
export class JobRunner {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private nextId = 1;

  constructor(private readonly launch: CliLauncher) {}

  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].map((job) => job.info).sort((a, b) => b.startedAt - a.startedAt);
  }

  get(jobId: string): JobInfo {
    return this.entry(jobId).info;
  }

  /** Jobs still running, of one kind or all. */
  active(kind?: JobKind): JobInfo[] {
    return this.list().filter((job) => isActive(job.status) && (kind === undefined || job.kind === kind));
  }

  start(spec: JobSpec): JobInfo {
    const id = `${spec.kind}-${this.nextId++}`;
    const job: RunningJob = {
      info: {
        id,
        kind: spec.kind,
        title: spec.title,
        status: 'running',
        progress: null,
        startedAt: Date.now(),
        finishedAt: null,
        failure: null,
        warnings: [],
        facts: {},
        result: null,
        resumable: false,
      },
      spec,
      process: null,
      stopRequested: null,
      lastProgressSentAt: 0,
      stderr: [],
      killTimer: null,
      forced: false,
    };
    this.jobs.set(id, job);
    let child: CliProcess;
    try {
      child = this.launch(spec.args);
    } catch (error) {
      this.finish(job, null, null, error instanceof Error ? error.message : String(error));
      return job.info;
    }
    job.process = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.readStdout(job, line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      job.stderr.push(line);
      if (job.stderr.length > STDERR_LINES_KEPT) job.stderr.shift();
    });
    child.onExit((code, signal) => {
      // Let the line readers drain what the process wrote last before judging how it ended.
      setImmediate(() => this.finish(job, code, signal, null));
    });
    this.publish(job);
    return job.info;
  }

  /** Stops at the next safe point (what is saved stays saved); a job that hangs is killed. */
  cancel(jobId: string): JobInfo {
    return this.requestStop(this.entry(jobId), 'cancel');
  }

  /** Like cancel, but the job ends as `paused` and is meant to be resumed. */
  pause(jobId: string): JobInfo {
    const job = this.entry(jobId);
    if (!job.spec.resumeArgs) {
      throw new Error(`A ${job.info.kind} job cannot be paused: cancel it and start it again later.`);
    }
    return this.requestStop(job, 'pause');
  }

  /** Starts the command that continues a stopped job. */
  resume(jobId: string): JobInfo {
    const job = this.entry(jobId);
    if (isActive(job.info.status)) throw new Error(`"${job.info.title}" is still running.`);
    if (!job.spec.resumeArgs) throw new Error(`A ${job.info.kind} job cannot be resumed: start it again.`);
    return this.start({ ...job.spec, args: job.spec.resumeArgs, title: `${job.spec.title} (resumed)` });
  }

  /** Ends every running job (the app is quitting): gracefully first (pausing what can resume), then by force. */
  async stopAll(timeoutMs = STOP_GRACE_MS): Promise<void> {
    const running = [...this.jobs.values()].filter((job) => job.process && isActive(job.info.status));
    await Promise.all(
      running.map(
        (job) =>
          new Promise<void>((resolve) => {
            // After the runner's own exit listener has recorded how the job ended.
            job.process?.onExit(() => setImmediate(resolve));
            // A job that can continue later pauses (training writes a checkpoint); the others stop.
            this.requestStop(job, job.spec.resumeArgs ? 'pause' : 'cancel', timeoutMs);
          }),
      ),
    );
  }

  private entry(jobId: string): RunningJob {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`No job "${jobId}": it may belong to an earlier session of the app.`);
    return job;
  }

  private requestStop(job: RunningJob, how: 'pause' | 'cancel', graceMs = STOP_GRACE_MS): JobInfo {
    if (!isActive(job.info.status) || !job.process) return job.info;
    job.stopRequested = how;
    job.info.status = how === 'pause' ? 'pausing' : 'cancelling';
    if (how === 'cancel' && job.spec.cancelBy === 'terminate') job.process.terminate();
    else job.process.interrupt();
    job.killTimer = setTimeout(() => {
      job.forced = true;
      job.info.warnings.push(
        `It did not stop within ${Math.round(graceMs / 1000)} s and was ended; what it had saved is kept.`,
      );
      job.process?.kill();
    }, graceMs);
    job.killTimer.unref();
    this.publish(job);
    return job.info;
  }

  private readStdout(job: RunningJob, line: string): void {
    const message = parseJsonLine(line);
    if (!message) return;
    if (message.type === 'progress') {
      const { type: _type, ...progress } = message;
      job.info.progress = progress as unknown as JobProgress;
      const metric = job.info.kind === 'train' ? trainingMetricOf(job.info.progress) : null;
      if (metric) {
        const runId =
          typeof progress.detail === 'object'
            ? numberOrNull((progress.detail as Record<string, unknown>).run)
            : null;
        this.emit({ type: 'training-metric', jobId: job.info.id, runId, metric });
      }
      const now = Date.now();
      if (now - job.lastProgressSentAt >= PROGRESS_INTERVAL_MS) {
        job.lastProgressSentAt = now;
        this.publish(job);
      }
    } else if (message.type === 'warning' && typeof message.message === 'string') {
      job.info.warnings.push(message.message);
      this.publish(job);
    } else if (message.type === 'forecast' && typeof message.forecast === 'object' && message.forecast) {
      // Training's plan once its first steps are timed: the Training view shows it.
      const forecast = message.forecast as Record<string, unknown>;
      if (typeof forecast.text === 'string') job.info.facts.plan = forecast.text;
      const rate = numberOrNull(forecast.imagesPerSecond);
      if (rate !== null) job.info.facts.imagesPerSecond = Math.round(rate * 10) / 10;
      this.publish(job);
    } else if (message.type === 'config') {
      for (const key of ['backend', 'preset'] as const) {
        const value = message[key];
        if (typeof value === 'string' || typeof value === 'number') job.info.facts[key] = value;
      }
      this.publish(job);
    } else if (message.type === 'result' || message.type === undefined) {
      // `--json` output or an explicit result line: the job's answer.
      job.info.result = message.type === 'result' ? (message.result ?? message) : message;
    }
  }

  private finish(
    job: RunningJob,
    code: number | null,
    signal: string | null,
    launchError: string | null,
  ): void {
    if (job.killTimer) clearTimeout(job.killTimer);
    job.info.finishedAt = Date.now();
    job.process = null;
    const stopped = job.stopRequested;
    if (code === 0 && !launchError) {
      job.info.status = stopped === 'pause' ? 'paused' : 'succeeded';
    } else if (
      stopped &&
      !launchError &&
      (code === 130 || signal === 'SIGINT' || code !== null || job.forced)
    ) {
      job.info.status = stopped === 'pause' ? 'paused' : 'cancelled';
    } else {
      job.info.status = 'failed';
      job.info.failure = describeFailure(job.info.kind, code, signal, launchError, job.stderr);
    }
    if (job.info.status === 'succeeded' && stopped === 'cancel') job.info.status = 'cancelled';
    job.info.resumable = job.spec.resumeArgs !== null && job.info.status !== 'succeeded';
    this.publish(job);
    if (job.info.status === 'succeeded' || job.info.kind === 'scan' || job.info.kind === 'train') {
      const what = changedBy[job.info.kind];
      if (what) this.emit({ type: 'library-changed', what });
    }
  }

  private publish(job: RunningJob): void {
    this.emit({ type: 'job', job: structuredClone(job.info) });
  }

  private emit(event: ApiEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

const changedBy: Partial<Record<JobKind, Extract<ApiEvent, { type: 'library-changed' }>['what']>> = {
  scan: 'images',
  train: 'models',
  'import-weights': 'models',
  'fetch-weights': 'models',
  embed: 'embeddings',
  map: 'map',
};

function isActive(status: JobInfo['status']): boolean {
  return status === 'running' || status === 'pausing' || status === 'cancelling';
}

function parseJsonLine(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const value = JSON.parse(trimmed) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A training progress event carries the step's figures in `detail`; the charts want them as a metric. */
export function trainingMetricOf(progress: JobProgress): TrainingMetric | null {
  const detail = progress.detail ?? {};
  const loss = numberOrNull(detail.loss);
  if (loss === null) return null;
  return {
    step: numberOrNull(detail.step) ?? progress.done,
    epoch: numberOrNull(detail.epoch) ?? 0,
    loss,
    lr: numberOrNull(detail.lr) ?? 0,
    teacherEntropy: numberOrNull(detail.teacherEntropy ?? detail.entropy ?? detail.teacher_entropy),
    imagesPerSecond: numberOrNull(detail.imagesPerSecond ?? detail.images_per_second),
    viewRetrieval: numberOrNull(detail.viewRetrieval),
    effectiveRank: numberOrNull(detail.effectiveRank),
    knnTop1: numberOrNull(detail.knnTop1),
  };
}

const hints: Record<JobKind, string> = {
  scan: 'Check that the folders still exist and are readable, then press Resume: the scan continues where it stopped.',
  train:
    'Press Resume to continue from the last checkpoint. If it keeps failing, try a smaller preset (quick or cpu) or a smaller batch.',
  'import-weights':
    'Check that the file is a DINO checkpoint (.pth or .safetensors) with the official or Hugging Face tensor names.',
  'fetch-weights':
    'Check the internet connection (and HTTPS_PROXY if you use a proxy), then press Resume: the download continues where it stopped.',
  embed: 'Press Resume: photos already embedded are kept and not embedded again.',
  map: 'Press Resume to compute the map again.',
  duplicates: 'Try again; if it keeps failing, recompute the embeddings.',
  'export-features': 'Check that the destination folder exists and is writable, then try again.',
  'export-model': 'Check that the destination folder exists and is writable, then try again.',
};

/** What went wrong, in one line a person can read, from the process's last words and how it ended. */
export function describeFailure(
  kind: JobKind,
  code: number | null,
  signal: string | null,
  launchError: string | null,
  stderr: string[],
): JobFailure {
  const said = [...stderr]
    .reverse()
    .map((line) => line.trim())
    .find((line) => line.startsWith('dinoscope:') || /error/i.test(line));
  let message: string;
  if (launchError) message = `The background process could not start: ${launchError}`;
  else if (said) message = said.replace(/^dinoscope:\s*/, '');
  else if (signal === 'SIGKILL')
    message = 'The background process was killed (the system may have run out of memory).';
  else if (signal) message = `The background process crashed (${signal}).`;
  else message = `The background process stopped with exit code ${code}.`;
  const hint =
    signal === 'SIGKILL' && kind === 'train'
      ? 'Training needs less memory with a smaller batch or the quick preset. Press Resume to continue from the last checkpoint.'
      : hints[kind];
  return { message, hint, exitCode: code, signal, log: [...stderr] };
}
