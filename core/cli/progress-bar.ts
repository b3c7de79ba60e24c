import cliProgress from 'cli-progress';
import type { ProgressEvent, ProgressListener } from '../jobs/progress.ts';

/**
 * How a CLI command shows progress: a terminal bar for people, or (with `--events`) one JSON line
 * per event on stdout for the app's job runner, which renders the same events in the UI.
 */
export function progressReporter(options: {
  events: boolean;
  stream?: NodeJS.WriteStream;
}): ProgressListener & {
  stop(): void;
} {
  if (options.events) {
    const listener = (event: ProgressEvent) =>
      process.stdout.write(`${JSON.stringify({ type: 'progress', ...event })}\n`);
    return Object.assign(listener, { stop() {} });
  }
  const stream = options.stream ?? process.stderr;
  let bar: cliProgress.SingleBar | null = null;
  let lastPhase: string | undefined;
  const listener = (event: ProgressEvent) => {
    if (!stream.isTTY) return; // a log file gets the summary line, not a thousand redraws
    if (bar && event.phase !== lastPhase) {
      bar.stop();
      bar = null;
    }
    if (!bar) {
      lastPhase = event.phase;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${event.phase ?? event.job} {bar} {value}/{total} | {rate}/s | ETA {eta_text} {detail}`,
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(event.total, event.done, payload(event));
    }
    bar.setTotal(event.total);
    bar.update(event.done, payload(event));
  };
  return Object.assign(listener, {
    stop() {
      bar?.stop();
      bar = null;
    },
  });
}

function payload(event: ProgressEvent) {
  const detail = event.detail
    ? Object.entries(event.detail)
        .map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : v}`)
        .join(' ')
    : '';
  return { rate: event.ratePerSecond.toFixed(1), eta_text: formatDuration(event.etaSeconds), detail };
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 0.01 ? value.toFixed(3) : value.toExponential(2);
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}
