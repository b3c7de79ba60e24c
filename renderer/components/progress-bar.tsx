import type { JobProgress } from '../../core/api.ts';
import { formatCount, formatDuration, formatNumber } from '../format.ts';

/** Count, rate and ETA of a job, or a moving stripe while the total is not known yet. */
export function ProgressBar({
  progress,
  compact = false,
}: {
  progress: JobProgress | null;
  compact?: boolean;
}) {
  const total = progress?.total ?? 0;
  const fraction = total > 0 ? Math.min(1, (progress?.done ?? 0) / total) : null;
  return (
    <div className={`progress ${compact ? 'compact' : ''}`}>
      <div
        className={`progress-track ${fraction === null ? 'indeterminate' : ''}`}
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={total || undefined}
        aria-valuenow={progress?.done}
      >
        <div
          className="progress-fill"
          style={{ width: fraction === null ? undefined : `${fraction * 100}%` }}
        />
      </div>
      {progress && (
        <div className="progress-text">
          {progress.phase && <span className="phase">{progress.phase}</span>}
          <span>
            {formatCount(progress.done)}
            {total > 0 && ` / ${formatCount(total)}`}
          </span>
          {progress.ratePerSecond > 0 && <span>{formatNumber(progress.ratePerSecond, 3)}/s</span>}
          {progress.etaSeconds !== null && <span>{formatDuration(progress.etaSeconds)} left</span>}
        </div>
      )}
    </div>
  );
}
