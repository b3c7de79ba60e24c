import type { JobInfo } from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { ProgressBar } from './progress-bar.tsx';

const statusText: Record<JobInfo['status'], string> = {
  running: 'Running',
  pausing: 'Pausing…',
  paused: 'Paused',
  cancelling: 'Stopping…',
  succeeded: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** One background job: progress while it runs; what went wrong and Resume when it stopped. */
export function JobCard({ job, compact = false }: { job: JobInfo; compact?: boolean }) {
  const { run } = useApp();
  const active = job.status === 'running' || job.status === 'pausing' || job.status === 'cancelling';
  return (
    <div className={`job-card status-${job.status}`} data-job-kind={job.kind} data-job-status={job.status}>
      <div className="job-head">
        <span className="job-title">{job.title}</span>
        <span className={`badge badge-${job.status}`}>{statusText[job.status]}</span>
      </div>
      {active && <ProgressBar progress={job.progress} compact={compact} />}
      {job.warnings.map((warning) => (
        <p key={warning} className="warning">
          ⚠ {warning}
        </p>
      ))}
      {job.failure && (
        <div className="failure">
          <p>{job.failure.message}</p>
          <p className="hint">{job.failure.hint}</p>
          {job.failure.log.length > 0 && (
            <details>
              <summary>Details</summary>
              <pre>{job.failure.log.join('\n')}</pre>
            </details>
          )}
        </div>
      )}
      <div className="job-actions">
        {job.status === 'running' && job.kind === 'train' && (
          <button type="button" onClick={() => run(() => bridge.invoke('training.pause', { jobId: job.id }))}>
            Pause
          </button>
        )}
        {active && job.status !== 'cancelling' && (
          <button
            type="button"
            className="subtle"
            onClick={() => run(() => bridge.invoke('jobs.cancel', { jobId: job.id }))}
          >
            Cancel
          </button>
        )}
        {job.resumable && !active && (
          <button
            type="button"
            className="primary"
            onClick={() => run(() => bridge.invoke('jobs.resume', { jobId: job.id }))}
          >
            Resume
          </button>
        )}
      </div>
    </div>
  );
}
