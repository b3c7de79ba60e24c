import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImageError, ImageSummary, PhotoFilter } from '../../core/api.ts';
import { useApp, useLatestJob } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { JobCard } from '../components/job-card.tsx';
import { PublishedWeightsCard } from '../components/published-weights-card.tsx';
import { ThumbnailGrid } from '../components/thumbnail-grid.tsx';
import { describeFilter, isFiltering, NO_FILTER, toPhotoFilter } from '../filter-choice.ts';
import { basename, formatCount } from '../format.ts';
import { navigate } from '../router.ts';

const PAGE = 300;

/**
 * Pages of the library's readable photos, loaded as the grid scrolls; with a filter, only the
 * photos it keeps (the core pages them, so 100,000 ids never cross the bridge for a grid).
 */
function useImagePages(revision: number, filter: PhotoFilter | null, modelId: number | null) {
  const [total, setTotal] = useState(0);
  const pages = useRef(new Map<number, ImageSummary[]>());
  const loading = useRef(new Set<number>());
  const visiblePages = useRef<number[]>([0]);
  const [, setVersion] = useState(0);
  // Without a filter the list is the whole library whatever the model (it arrives a moment later).
  const key = filter ? JSON.stringify([filter, modelId]) : 'all';
  const args = () => (filter ? { filter, ...(modelId === null ? {} : { modelId }) } : {});
  const query = useRef<{ key: string; args: { filter?: PhotoFilter; modelId?: number } }>({
    key,
    args: args(),
  });
  if (query.current.key !== key) query.current = { key, args: args() };

  const load = useCallback(async (page: number, again = false) => {
    if ((!again && pages.current.has(page)) || loading.current.has(page)) return;
    loading.current.add(page);
    try {
      const asked = query.current;
      const result = await bridge.invoke('library.images', {
        offset: page * PAGE,
        limit: PAGE,
        status: 'ok',
        ...asked.args,
      });
      // A page asked for under another filter arrives late: it belongs to a grid no longer shown.
      if (asked !== query.current) return;
      pages.current.set(page, result.items);
      setTotal(result.total);
      setVersion((v) => v + 1);
    } finally {
      loading.current.delete(page);
    }
  }, []);

  // When the library changes, the pages on hand are fetched again and replaced as they arrive, so
  // the grid never blinks back to placeholders (a running scan refreshes it every few seconds).
  useEffect(() => {
    void revision;
    for (const page of pages.current.keys())
      if (!visiblePages.current.includes(page)) pages.current.delete(page);
    for (const page of visiblePages.current) void load(page, true).catch(() => {});
  }, [revision, load]);
  // Another filter is another list: start over from its first page.
  const shownKey = useRef(key);
  useEffect(() => {
    if (shownKey.current === key) return;
    shownKey.current = key;
    pages.current.clear();
    loading.current.clear();
    visiblePages.current = [0];
    setTotal(0);
    void load(0, true).catch(() => {});
  }, [key, load]);

  const itemAt = (index: number) => {
    const item = pages.current.get(Math.floor(index / PAGE))?.[index % PAGE];
    return item && { id: item.id, label: item.relPath };
  };
  const onVisibleRange = useCallback(
    (start: number, end: number) => {
      visiblePages.current = [];
      for (let page = Math.floor(start / PAGE); page <= Math.floor(Math.max(start, end - 1) / PAGE); page++) {
        visiblePages.current.push(page);
        void load(page).catch(() => {});
      }
    },
    [load],
  );
  return { total, itemAt, onVisibleRange, key };
}

export function LibraryView() {
  const { status, info, run, revision, model, filter, setFilter } = useApp();
  const scan = useLatestJob('scan');
  const [path, setPath] = useState('');
  const [errors, setErrors] = useState<ImageError[] | null>(null);
  // The map's filter applies here too (cluster numbers need the model they belong to).
  const filtering = isFiltering(filter) && (model !== null || filter.clusters.length === 0);
  const photoFilter = useMemo(() => (filtering ? toPhotoFilter(filter) : null), [filtering, filter]);
  const grid = useImagePages(revision, photoFilter, model?.id ?? null);
  const scanning = scan?.status === 'running' || scan?.status === 'cancelling';

  useEffect(() => {
    void revision;
    void bridge.invoke('library.errors', {}).then(setErrors, () => setErrors(null));
  }, [revision]);

  const add = async (paths: string[]) => {
    if (paths.length === 0) return;
    const job = await run(() => bridge.invoke('library.addFolders', { paths }));
    if (job) setPath('');
  };
  const counts = status?.counts;

  return (
    <div className="view library-view">
      <header className="view-header">
        <div>
          <h1>Library</h1>
          <p className="lede">
            {counts && counts.total > 0
              ? `${formatCount(counts.ok)} photos ready${counts.error ? `, ${formatCount(counts.error)} unreadable` : ''}${counts.missing ? `, ${formatCount(counts.missing)} missing` : ''}`
              : 'Add a folder of photos to begin. Nothing is moved or changed: dinoscope only reads them.'}
          </p>
        </div>
        <div className="stats">
          <Stat label="Photos" value={counts?.ok ?? 0} />
          <Stat label="Unreadable" value={counts?.error ?? 0} tone={counts?.error ? 'warn' : undefined} />
          <Stat label="Missing" value={counts?.missing ?? 0} />
          <Stat label="Folders" value={status?.folders.length ?? 0} />
        </div>
      </header>

      <section className="panel add-panel">
        {info?.nativeDialogs ? (
          <button
            type="button"
            className="primary"
            disabled={scanning}
            onClick={async () => {
              const chosen = await run(() => bridge.invoke('dialog.chooseFolders', {}));
              if (chosen) await add(chosen);
            }}
          >
            Add folders…
          </button>
        ) : (
          <form
            className="inline-form"
            onSubmit={(event) => {
              event.preventDefault();
              void add([path.trim()]);
            }}
          >
            <label htmlFor="folder-path">Folder on this computer</label>
            <input
              id="folder-path"
              type="text"
              placeholder="/home/you/Pictures"
              value={path}
              spellCheck={false}
              onChange={(event) => setPath(event.target.value)}
            />
            <button type="submit" className="primary" disabled={!path.trim() || scanning}>
              Add folder
            </button>
          </form>
        )}
        <button
          type="button"
          disabled={scanning || !status?.folders.length}
          onClick={() => run(() => bridge.invoke('library.scan', {}))}
        >
          Rescan
        </button>
        {status && status.folders.length > 0 && (
          <ul className="folders">
            {status.folders.map((folder) => (
              <li key={folder.id} title={folder.path}>
                <span className="folder-name">{basename(folder.path)}</span>
                <span className="muted">{folder.path}</span>
                <span className="pill">{formatCount(folder.imageCount)}</span>
                {folder.lastScanFinishedAt === null && <span className="pill warn">scan unfinished</span>}
              </li>
            ))}
          </ul>
        )}
      </section>

      {/* Photos but no model yet: the quickest way to a map is published weights. */}
      {counts && counts.ok > 0 && (status?.models.length ?? 0) === 0 && <PublishedWeightsCard />}

      {scan && (scan.status !== 'succeeded' || Date.now() - (scan.finishedAt ?? 0) < 8000) && (
        <JobCard job={scan} />
      )}

      {errors && errors.length > 0 && (
        <details className="panel errors-panel">
          <summary>
            {formatCount(errors.length)} file{errors.length === 1 ? '' : 's'} could not be read — see why
          </summary>
          <table>
            <tbody>
              {errors.slice(0, 500).map((error) => (
                <tr key={error.id}>
                  <td className="path" title={error.path}>
                    {error.path}
                  </td>
                  <td>{error.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {errors.length > 500 && (
            <p className="muted">
              …and {formatCount(errors.length - 500)} more (`dinoscope errors` lists all).
            </p>
          )}
        </details>
      )}

      {filtering && (
        <div className="banner filter-banner" data-testid="library-filter">
          Showing the {formatCount(grid.total)} photos the map's filter keeps ({describeFilter(filter)}).{' '}
          <button type="button" onClick={() => navigate({ view: 'map' })}>
            Change on the map
          </button>{' '}
          <button type="button" onClick={() => setFilter(NO_FILTER)}>
            Show all photos
          </button>
        </div>
      )}

      <section className="grid-panel">
        <ThumbnailGrid
          key={grid.key}
          count={grid.total}
          itemAt={grid.itemAt}
          onVisibleRange={grid.onVisibleRange}
          onOpen={(id) => navigate({ view: 'photo', imageId: id })}
          emptyText={
            scanning ? 'Reading your photos…' : filtering ? 'No photo passes the filter.' : 'No photos yet.'
          }
        />
      </section>
    </div>
  );
}

function Stat({ label, value, tone }: { label: string; value: number; tone?: 'warn' }) {
  return (
    <div className={`stat ${tone ?? ''}`}>
      <strong>{formatCount(value)}</strong>
      <span>{label}</span>
    </div>
  );
}
