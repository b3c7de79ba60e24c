import { useState } from 'react';
import type { TagSummary } from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { formatCount } from '../format.ts';

/** Tag the chosen photos (a click, a lasso, a cluster), and take a tag off them. */
export function TagSelection({
  imageIds,
  tags,
  onChanged,
}: {
  imageIds: number[];
  tags: TagSummary[];
  onChanged(): void;
}) {
  const { run, notify } = useApp();
  const [name, setName] = useState('');
  const apply = async (remove: boolean) => {
    const tag = name.trim();
    if (!tag || imageIds.length === 0) return;
    if (remove) {
      const done = await run(() => bridge.invoke('tags.remove', { name: tag, imageIds }));
      if (!done) return;
      notify({ kind: 'info', message: `Took "${tag}" off ${formatCount(done.removed)} photos` });
    } else {
      const done = await run(() => bridge.invoke('tags.add', { name: tag, imageIds }));
      if (!done) return;
      notify({ kind: 'info', message: `Tagged ${formatCount(done.added)} photos "${tag}"` });
    }
    onChanged();
  };
  return (
    <form
      className="tag-form"
      onSubmit={(event) => {
        event.preventDefault();
        void apply(false);
      }}
    >
      <label>
        <span>Tag {formatCount(imageIds.length)} photos as</span>
        <input
          type="text"
          list="tag-names"
          value={name}
          maxLength={100}
          placeholder="e.g. beach"
          aria-label="Tag name"
          onChange={(event) => setName(event.target.value)}
        />
      </label>
      <datalist id="tag-names">
        {tags.map((t) => (
          <option key={t.id} value={t.name} />
        ))}
      </datalist>
      <div className="button-row">
        <button type="submit" className="primary" disabled={!name.trim()}>
          Tag
        </button>
        <button type="button" disabled={!name.trim()} onClick={() => void apply(true)}>
          Remove tag
        </button>
      </div>
    </form>
  );
}

/** Every tag with its count: rename, delete, and undo of the last tag operation. */
export function TagManager({ tags, onChanged }: { tags: TagSummary[]; onChanged(): void }) {
  const { run, notify } = useApp();
  const [editing, setEditing] = useState<{ from: string; to: string } | null>(null);
  const undo = async () => {
    const result = await run(() => bridge.invoke('tags.undo', {}));
    if (!result) return;
    notify({ kind: 'info', message: result.undone ? `Undid: ${result.undone}` : 'Nothing to undo' });
    onChanged();
  };
  return (
    <section className="tag-manager" aria-label="Tags">
      <h2>
        Tags{' '}
        <button type="button" className="small" onClick={() => void undo()}>
          Undo
        </button>
      </h2>
      {tags.length === 0 && <p className="muted">No tags yet: select photos on the map and tag them.</p>}
      <ul>
        {tags.map((tag) => (
          <li key={tag.id}>
            {editing?.from === tag.name ? (
              <form
                onSubmit={async (event) => {
                  event.preventDefault();
                  const to = editing.to.trim();
                  setEditing(null);
                  if (
                    to &&
                    to !== tag.name &&
                    (await run(() => bridge.invoke('tags.rename', { from: tag.name, to })))
                  )
                    onChanged();
                }}
              >
                <input
                  type="text"
                  // biome-ignore lint/a11y/noAutofocus: the field the person just asked for
                  autoFocus
                  aria-label={`New name for ${tag.name}`}
                  value={editing.to}
                  onChange={(event) => setEditing({ ...editing, to: event.target.value })}
                  onBlur={() => setEditing(null)}
                />
              </form>
            ) : (
              <>
                <span className="tag-name">{tag.name}</span>
                <span className="pill">{formatCount(tag.count)}</span>
                <button
                  type="button"
                  className="small"
                  onClick={() => setEditing({ from: tag.name, to: tag.name })}
                >
                  Rename
                </button>
                <button
                  type="button"
                  className="small"
                  aria-label={`Delete tag ${tag.name}`}
                  onClick={async () => {
                    if (await run(() => bridge.invoke('tags.delete', { name: tag.name }))) {
                      notify({ kind: 'info', message: `Deleted "${tag.name}" (Undo brings it back)` });
                      onChanged();
                    }
                  }}
                >
                  Delete
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
