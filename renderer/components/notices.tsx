import { useApp } from '../app-state.tsx';

/** Errors say what happened and what to do; they stay until dismissed. Info notes fade by themselves. */
export function Notices() {
  const { notices, dismiss } = useApp();
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div
          key={notice.id}
          className={`notice notice-${notice.kind}`}
          role={notice.kind === 'error' ? 'alert' : 'status'}
        >
          <div>
            <p className="notice-message">{notice.message}</p>
            {notice.hint && <p className="hint">{notice.hint}</p>}
          </div>
          <button type="button" className="close" aria-label="Dismiss" onClick={() => dismiss(notice.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
