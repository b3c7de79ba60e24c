import { useState } from 'react';
import type { DuplicateGroup } from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { formatBytes, formatCount } from '../format.ts';
import { navigate } from '../router.ts';
import { EmptyState } from './map-view.tsx';

export function DuplicatesView() {
  const { model, run } = useApp();
  const [threshold, setThreshold] = useState(0.95);
  const [groups, setGroups] = useState<DuplicateGroup[] | null>(null);
  const [busy, setBusy] = useState(false);

  if (!model) {
    return (
      <div className="view">
        <EmptyState
          title="No model yet"
          text="Near-duplicates are found by embedding similarity: train or import a model first."
        />
      </div>
    );
  }
  const find = async () => {
    setBusy(true);
    const found = await run(() => bridge.invoke('duplicates.find', { modelId: model.id, threshold }));
    setBusy(false);
    if (found) setGroups(found);
  };
  const extra = groups?.reduce((sum, group) => sum + group.members.length - 1, 0) ?? 0;
  return (
    <div className="view duplicates-view">
      <header className="view-header">
        <div>
          <h1>Duplicates</h1>
          <p className="lede">
            Exact copies and near-copies (resized, re-encoded, cropped, recoloured). The suggested keeper is
            the largest version. dinoscope never deletes anything.
          </p>
        </div>
      </header>
      <section className="panel inline-form">
        <label className="field inline">
          <span>Similarity at least</span>
          <input
            type="range"
            min={0.85}
            max={0.995}
            step={0.005}
            value={threshold}
            onChange={(event) => setThreshold(Number(event.target.value))}
          />
          <strong>{threshold.toFixed(3)}</strong>
        </label>
        <button type="button" className="primary" disabled={busy} onClick={find}>
          {busy ? 'Looking…' : 'Find duplicates'}
        </button>
        {groups && (
          <span className="muted">
            {formatCount(groups.length)} groups · {formatCount(extra)} extra copies
          </span>
        )}
      </section>
      {groups?.length === 0 && (
        <EmptyState
          title="No duplicates"
          text="No two photos are that similar. Lower the threshold to look wider."
        />
      )}
      <div className="duplicate-groups">
        {groups?.map((group) => (
          <section key={`${group.kind}-${group.keeperId}`} className="panel duplicate-group">
            <h2>
              <span className={`pill ${group.kind === 'exact' ? 'warn' : ''}`}>
                {group.kind === 'exact' ? 'identical files' : 'near-duplicates'}
              </span>
            </h2>
            <div className="duplicate-members">
              {group.members.map((member) => (
                <button
                  type="button"
                  key={member.imageId}
                  className={`member ${member.imageId === group.keeperId ? 'keeper' : ''}`}
                  onClick={() => navigate({ view: 'photo', imageId: member.imageId })}
                >
                  <img src={bridge.mediaUrl('thumbnail', member.imageId)} alt="" />
                  {member.imageId === group.keeperId && <span className="keeper-badge">keep</span>}
                  <span className="member-note">
                    {member.width}×{member.height} · {formatBytes(member.size)}
                    {member.imageId !== group.keeperId && ` · ${member.similarity.toFixed(3)}`}
                  </span>
                </button>
              ))}
            </div>
          </section>
        ))}
      </div>
    </div>
  );
}
