import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { LabelExportFormat, MapData, MapFacts } from '../../core/api.ts';
import { useApp, useLatestJob } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { JobCard } from '../components/job-card.tsx';
import { MapFilterPanel } from '../components/map-filter-panel.tsx';
import { SavePathField } from '../components/path-field.tsx';
import { ReviewQueue } from '../components/review-queue.tsx';
import { TagManager, TagSelection } from '../components/tag-panel.tsx';
import { hideBrokenImage, ThumbnailGrid } from '../components/thumbnail-grid.tsx';
import { isFiltering, toPhotoFilter } from '../filter-choice.ts';
import { formatCount } from '../format.ts';
import { PHOTO_MIN_PIXELS } from '../map/photo-layer.ts';
import { type ColorMode, legend, pointColors } from '../map/point-colors.ts';
import { clusterColor, type FrameStats, ScatterPlot } from '../map/scatter-gl.ts';
import { navigate } from '../router.ts';

declare global {
  interface Window {
    /** The map's points on screen, for automation (the end-to-end test hovers a known point). */
    dinoscopeMap?: {
      count: number;
      imageIdAt(index: number): number;
      screenPosition(index: number): { x: number; y: number };
      /** Centres the view on a point at a zoom (1 = the whole map). */
      focus(index: number, zoom: number): void;
      /** How large a photo is on screen now (CSS px); thumbnails replace dots from 18 px. */
      photoPixels(): number;
      measureFrames(frames: number): Promise<FrameStats>;
    };
  }
}

const NO_POINTS: MapData['points'] = { imageIds: [], x: [], y: [], cluster: [] };
/** Labels of representative photos on the map, for the largest clusters only: more would cover it. */
const MAX_CLUSTER_LABELS = 12;

export function MapView() {
  const { model, run, revision, notify, filter, setFilter } = useApp();
  const mapJob = useLatestJob('map');
  const [data, setData] = useState<MapData | null | undefined>(undefined);
  const [selection, setSelection] = useState<number[]>([]);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const [lasso, setLasso] = useState(false);
  const [showGrid, setShowGrid] = useState(false);
  const [exportPath, setExportPath] = useState('');
  const [exportFormat, setExportFormat] = useState<LabelExportFormat>('csv');
  const [exportSuggestions, setExportSuggestions] = useState(true);
  const [exportCopies, setExportCopies] = useState(false);
  const [facts, setFacts] = useState<MapFacts | null>(null);
  const [colorMode, setColorMode] = useState<ColorMode>('cluster');
  /** Colouring by tag: one tag against the rest, or (null) each photo's first tag. */
  const [focusTag, setFocusTag] = useState<string | null>(null);
  const [visibleIds, setVisibleIds] = useState<Set<number> | null>(null);
  const [tagRevision, setTagRevision] = useState(0);
  const [pickCount, setPickCount] = useState(50);
  const [perCluster, setPerCluster] = useState(true);
  const tagsChanged = useCallback(() => setTagRevision((r) => r + 1), []);
  /** Told when the view moves: the cluster labels follow it without re-rendering the whole view. */
  const viewListeners = useRef(new Set<() => void>());
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const plot = useRef<ScatterPlot | null>(null);
  const [glError, setGlError] = useState<string | null>(null);

  useEffect(() => {
    void revision;
    if (!model) return;
    void run(() => bridge.invoke('map.get', { modelId: model.id })).then((map) => setData(map));
  }, [model, revision, run]);

  useEffect(() => {
    void revision;
    void tagRevision;
    if (!model || !data) return;
    void run(() => bridge.invoke('map.facts', { modelId: model.id })).then((next) => next && setFacts(next));
  }, [model, data, revision, tagRevision, run]);

  // One filter for map, grid and exports: the core decides which photos pass.
  useEffect(() => {
    void tagRevision;
    if (!model || !isFiltering(filter)) {
      setVisibleIds(null);
      return;
    }
    let stale = false;
    void run(() => bridge.invoke('photos.filter', { modelId: model.id, filter: toPhotoFilter(filter) })).then(
      (result) => result && !stale && setVisibleIds(new Set(result.imageIds)),
    );
    return () => {
      stale = true;
    };
  }, [model, filter, tagRevision, run]);

  const points = data?.points ?? NO_POINTS;
  const count = points.imageIds.length;
  const indexOf = useMemo(() => new Map(points.imageIds.map((id, i) => [id, i])), [points]);
  useEffect(() => {
    if (!canvas.current || !overlay.current || count === 0) return;
    let scatter: ScatterPlot;
    try {
      scatter = new ScatterPlot(canvas.current, overlay.current, {
        onHover: (index, x, y) => setHover(index === null ? null : { index, x, y }),
        onClick: (index) => navigate({ view: 'photo', imageId: points.imageIds[index] }),
        onLasso: (indices) => setSelection(indices),
        onView: () => {
          for (const listener of viewListeners.current) listener();
        },
      });
    } catch (error) {
      setGlError((error as Error).message);
      return;
    }
    const xs = Float32Array.from(points.x);
    const ys = Float32Array.from(points.y);
    scatter.setPoints(xs, ys, pointColors('cluster', points, null));
    scatter.showPhotos({
      imageIdAt: (index) => points.imageIds[index],
      urlOf: (imageId) => bridge.mediaUrl('thumbnail', imageId),
    });
    plot.current = scatter;
    window.dinoscopeMap = {
      count: points.imageIds.length,
      imageIdAt: (index) => points.imageIds[index],
      screenPosition: (index) => scatter.screenPosition(index),
      focus: (index, zoom) => scatter.focus(index, zoom),
      photoPixels: () => scatter.photoPixels,
      measureFrames: (frames) => scatter.measureFrames(frames),
    };
    setSelection([]);
    return () => {
      scatter.destroy();
      plot.current = null;
      window.dinoscopeMap = undefined;
    };
  }, [points, count]);

  // A tag renamed or deleted: back to each photo's first tag.
  useEffect(() => {
    if (focusTag !== null && facts && !facts.tags.some((t) => t.name === focusTag)) setFocusTag(null);
  }, [facts, focusTag]);
  useEffect(() => {
    plot.current?.setColors(pointColors(colorMode, points, facts, focusTag));
  }, [colorMode, points, facts, focusTag]);
  useEffect(() => {
    if (!plot.current) return;
    if (!visibleIds) {
      plot.current.setVisible(null);
      return;
    }
    const mask = new Uint8Array(points.imageIds.length);
    points.imageIds.forEach((id, i) => {
      mask[i] = visibleIds.has(id) ? 1 : 0;
    });
    plot.current.setVisible(mask);
    setSelection((previous) => previous.filter((i) => mask[i] === 1));
  }, [visibleIds, points]);
  useEffect(() => {
    plot.current?.setSelection(selection);
  }, [selection]);
  useEffect(() => {
    if (plot.current) plot.current.lassoMode = lasso;
  }, [lasso]);

  const clusters = useMemo(() => [...(data?.clusters ?? [])].sort((a, b) => b.size - a.size), [data]);
  /** Where each large cluster's label sits: the mean of its points, in map coordinates. */
  const clusterCentres = useMemo(() => {
    const sums = new Map<number, { x: number; y: number; n: number }>();
    points.cluster.forEach((cluster, i) => {
      if (cluster < 0) return;
      const sum = sums.get(cluster) ?? { x: 0, y: 0, n: 0 };
      sum.x += points.x[i];
      sum.y += points.y[i];
      sum.n++;
      sums.set(cluster, sum);
    });
    return clusters
      .filter((c) => c.cluster >= 0)
      .slice(0, MAX_CLUSTER_LABELS)
      .flatMap((c) => {
        const sum = sums.get(c.cluster);
        return sum
          ? [{ cluster: c.cluster, x: sum.x / sum.n, y: sum.y / sum.n, representatives: c.representatives }]
          : [];
      });
  }, [clusters, points]);
  const passes = (i: number) => !visibleIds || visibleIds.has(points.imageIds[i]);
  const selectCluster = (cluster: number) =>
    setSelection(points.cluster.flatMap((c, i) => (c === cluster && passes(i) ? [i] : [])));
  const shownCount = visibleIds ? visibleIds.size : count;
  const selectWorthLabelling = async () => {
    if (!model) return;
    const picked = await run(() =>
      bridge.invoke('select.photos', {
        modelId: model.id,
        count: pickCount,
        perCluster,
        filter: isFiltering(filter) ? toPhotoFilter(filter) : undefined,
      }),
    );
    if (!picked) return;
    setSelection(picked.imageIds.flatMap((id) => indexOf.get(id) ?? []));
    notify({
      kind: 'info',
      message: `Picked ${formatCount(picked.imageIds.length)} photos that cover the collection${picked.exhausted ? ' (the rest are near-duplicates of these)' : ''}`,
    });
  };
  const selectedIds = useMemo(() => selection.map((i) => points.imageIds[i]), [selection, points]);
  /** The grid shows the selection, else every photo the filter lets through. */
  const gridIds = useMemo(
    () =>
      selectedIds.length > 0 || !visibleIds
        ? selectedIds
        : points.imageIds.filter((id) => visibleIds.has(id)),
    [selectedIds, visibleIds, points],
  );
  const mapping = mapJob?.status === 'running';

  if (!model) {
    return (
      <div className="view">
        <EmptyState
          title="No model yet"
          text="Train a model or import weights in Training; the map shows what it learned."
        />
      </div>
    );
  }
  return (
    <div className="view map-view">
      <header className="view-header">
        <div>
          <h1>Map</h1>
          <p className="lede">
            Similar photos sit together. Scroll to zoom, drag to pan, hover to see a photo, click to open it.
            Shift-drag (or Lasso) to select.
          </p>
        </div>
        {data && (
          <div className="stats">
            <div className="stat">
              <strong>{formatCount(count)}</strong>
              <span>Photos</span>
            </div>
            <div className="stat">
              <strong>{formatCount(clusters.filter((c) => c.cluster >= 0).length)}</strong>
              <span>Clusters</span>
            </div>
          </div>
        )}
      </header>
      {mapJob && mapJob.status !== 'succeeded' && <JobCard job={mapJob} />}
      {data === null && !mapping && (
        <EmptyState
          title="No map for this model yet"
          text={
            model.embeddedCount === 0
              ? 'First compute the embeddings (Training → Models → Embed photos).'
              : `Lay out ${formatCount(model.embeddedCount)} photos by similarity (UMAP) and find clusters.`
          }
          action={
            model.embeddedCount > 0 ? (
              <button
                type="button"
                className="primary"
                onClick={() => run(() => bridge.invoke('map.start', { modelId: model.id }))}
              >
                Compute map
              </button>
            ) : undefined
          }
        />
      )}
      {data?.stale && (
        <div className="banner">
          New embeddings since this map was made.{' '}
          <button type="button" onClick={() => run(() => bridge.invoke('map.start', { modelId: model.id }))}>
            Recompute
          </button>
        </div>
      )}
      {data && (
        <div className="map-layout">
          <div className="map-stage">
            <canvas ref={canvas} className="map-canvas" data-points={count} />
            <canvas ref={overlay} className="map-overlay" />
            {glError && <div className="empty">Cannot draw the map: {glError}</div>}
            <div className="map-toolbar">
              <button
                type="button"
                className={lasso ? 'active' : ''}
                aria-pressed={lasso}
                onClick={() => setLasso(!lasso)}
              >
                Lasso
              </button>
              <button type="button" onClick={() => plot.current?.resetView()}>
                Fit
              </button>
              <button type="button" aria-label="Zoom in" onClick={() => plot.current?.zoomBy(2)}>
                +
              </button>
              <button type="button" aria-label="Zoom out" onClick={() => plot.current?.zoomBy(0.5)}>
                −
              </button>
            </div>
            <ClusterLabels plot={plot} centres={clusterCentres} listeners={viewListeners.current} />
            {hover && hover.index < count && (
              <div
                className="map-tooltip"
                style={{ left: hover.x + 16, top: hover.y + 16 }}
                data-image-id={points.imageIds[hover.index]}
              >
                <img src={bridge.mediaUrl('thumbnail', points.imageIds[hover.index])} alt="" />
                <span style={{ color: clusterColor(points.cluster[hover.index]) }}>
                  {points.cluster[hover.index] >= 0 ? `cluster ${points.cluster[hover.index]}` : 'no cluster'}
                </span>
              </div>
            )}
          </div>
          <aside className="map-side">
            <label className="color-by">
              <span>Colour by</span>
              <select
                aria-label="Colour by"
                value={colorMode === 'tag' && focusTag !== null ? `tag:${focusTag}` : colorMode}
                onChange={(event) => {
                  const value = event.target.value;
                  setColorMode((value.startsWith('tag:') ? 'tag' : value) as ColorMode);
                  setFocusTag(value.startsWith('tag:') ? value.slice(4) : null);
                }}
              >
                <option value="cluster">cluster</option>
                <option value="folder">folder</option>
                <option value="format">format</option>
                <option value="date">capture date</option>
                <option value="tag">tag (first of each photo)</option>
                {(facts?.tags ?? []).map((tag) => (
                  <option key={tag.id} value={`tag:${tag.name}`}>
                    has tag “{tag.name}”
                  </option>
                ))}
              </select>
            </label>
            {legend(colorMode, facts, focusTag).length > 0 && (
              <ul className="legend">
                {legend(colorMode, facts, focusTag)
                  .slice(0, 21)
                  .map((entry) => (
                    <li key={entry.name}>
                      <span className="swatch" style={{ background: entry.color }} />
                      {entry.name}
                    </li>
                  ))}
              </ul>
            )}
            {visibleIds && selection.length === 0 && (
              <button type="button" onClick={() => setShowGrid(true)}>
                Show filtered photos as grid
              </button>
            )}
            {facts && (
              <MapFilterPanel
                facts={facts}
                clusters={clusters}
                choice={filter}
                onChange={setFilter}
                shown={shownCount}
                total={count}
              />
            )}
            <h2>Clusters</h2>
            <ul className="clusters">
              {clusters.map((c) => (
                <li key={c.cluster}>
                  <button type="button" onClick={() => selectCluster(c.cluster)}>
                    <span className="swatch" style={{ background: clusterColor(c.cluster) }} />
                    <span>{c.cluster >= 0 ? `Cluster ${c.cluster}` : 'Unclustered'}</span>
                    <span className="pill">{formatCount(c.size)}</span>
                  </button>
                  <div className="representatives">
                    {c.representatives.slice(0, 4).map((id) => (
                      <button
                        type="button"
                        key={id}
                        className="representative"
                        onClick={() => navigate({ view: 'photo', imageId: id })}
                      >
                        <img src={bridge.mediaUrl('thumbnail', id)} alt="" onError={hideBrokenImage} />
                      </button>
                    ))}
                  </div>
                </li>
              ))}
            </ul>
            {selection.length > 0 && (
              <div className="selection-panel">
                <h2>{formatCount(selection.length)} selected</h2>
                <div className="button-row">
                  <button type="button" className="primary" onClick={() => setShowGrid(true)}>
                    Show as grid
                  </button>
                  <button type="button" onClick={() => setSelection([])}>
                    Clear
                  </button>
                </div>
                <TagSelection imageIds={selectedIds} tags={facts?.tags ?? []} onChanged={tagsChanged} />
              </div>
            )}
            <section className="worth-labelling" aria-label="Photos worth labelling">
              <h2>Photos worth labelling</h2>
              <div className="button-row">
                <label>
                  <span className="visually-hidden">How many</span>
                  <input
                    type="number"
                    min={1}
                    max={100000}
                    value={pickCount}
                    aria-label="How many photos to pick"
                    onChange={(event) => setPickCount(Math.max(1, Number(event.target.value) || 1))}
                  />
                </label>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={perCluster}
                    onChange={(event) => setPerCluster(event.target.checked)}
                  />
                  per cluster
                </label>
                <button type="button" onClick={() => void selectWorthLabelling()}>
                  Select photos worth labelling
                </button>
              </div>
            </section>
            <TagManager tags={facts?.tags ?? []} onChanged={tagsChanged} />
            <ReviewQueue
              modelId={model.id}
              tags={facts?.tags ?? []}
              revision={tagRevision}
              onChanged={tagsChanged}
              onShow={(imageId) => {
                const index = imageId === null ? undefined : indexOf.get(imageId);
                plot.current?.setHighlight(index ?? null);
              }}
            />
            <section className="label-export" aria-label="Export labels">
              <h2>
                Export labels{' '}
                <span className="pill">
                  {formatCount(selection.length > 0 ? selection.length : shownCount)}
                  {selection.length > 0 ? ' chosen' : ' shown'}
                </span>
              </h2>
              <label>
                <span>Format</span>
                <select
                  aria-label="Export format"
                  value={exportFormat}
                  onChange={(event) => setExportFormat(event.target.value as LabelExportFormat)}
                >
                  <option value="csv">CSV (path, tags, suggested tag, confidence)</option>
                  <option value="json">JSON manifest</option>
                  <option value="imagefolder">ImageFolder tree (one folder per tag)</option>
                </select>
              </label>
              <SavePathField
                label={exportFormat === 'imagefolder' ? 'Into a new folder' : 'Save as'}
                value={exportPath}
                onChange={setExportPath}
                suggestedName={exportFormat === 'imagefolder' ? 'labelled' : `labels.${exportFormat}`}
                extensions={exportFormat === 'imagefolder' ? [] : [exportFormat]}
              />
              <label className="check">
                <input
                  type="checkbox"
                  checked={exportSuggestions}
                  onChange={(event) => setExportSuggestions(event.target.checked)}
                />
                with suggestions
              </label>
              {exportFormat === 'imagefolder' && (
                <label className="check">
                  <input
                    type="checkbox"
                    checked={exportCopies}
                    onChange={(event) => setExportCopies(event.target.checked)}
                  />
                  copies instead of links
                </label>
              )}
              <button
                type="button"
                disabled={!exportPath.trim()}
                onClick={async () => {
                  const written = await run(() =>
                    bridge.invoke('export.labels', {
                      modelId: model.id,
                      format: exportFormat,
                      path: exportPath.trim(),
                      imageIds: selectedIds.length > 0 ? selectedIds : undefined,
                      filter: toPhotoFilter(filter),
                      suggestions: exportSuggestions,
                      copy: exportCopies,
                    }),
                  );
                  if (written)
                    notify({
                      kind: 'info',
                      message: `Wrote ${formatCount(written.photos)} photos to ${written.path}`,
                    });
                }}
              >
                Export labels
              </button>
            </section>
          </aside>
        </div>
      )}
      {showGrid && (
        <div className="modal" role="dialog" aria-label="Selected photos">
          <div className="modal-body">
            <header>
              <h2>
                {formatCount(gridIds.length)} {selectedIds.length > 0 ? 'selected' : 'filtered'} photos
              </h2>
              <button type="button" className="close" aria-label="Close" onClick={() => setShowGrid(false)}>
                ×
              </button>
            </header>
            <ThumbnailGrid
              count={gridIds.length}
              itemAt={(index) => ({ id: gridIds[index], label: `#${gridIds[index]}` })}
              onOpen={(id) => navigate({ view: 'photo', imageId: id })}
              height="70vh"
            />
          </div>
        </div>
      )}
    </div>
  );
}

/**
 * Representative photos of the largest clusters, over the map while it shows dots. They follow
 * the view by a style transform set on every frame, not by re-rendering: React and the browser's
 * layout did per frame what a compositor move does.
 */
function ClusterLabels({
  plot,
  centres,
  listeners,
}: {
  plot: React.RefObject<ScatterPlot | null>;
  centres: { cluster: number; x: number; y: number; representatives: number[] }[];
  listeners: Set<() => void>;
}) {
  const [shown, setShown] = useState(false);
  const elements = useRef(new Map<number, HTMLDivElement>());
  const place = useCallback(
    (element: HTMLDivElement, c: { x: number; y: number }) => {
      const at = plot.current?.dataToLocal(c.x, c.y);
      if (at) element.style.transform = `translate(${at.x}px, ${at.y}px) translate(-50%, -50%)`;
    },
    [plot],
  );
  useEffect(() => {
    const listener = () => {
      const scatter = plot.current;
      const visible = scatter !== null && scatter.photoPixels < PHOTO_MIN_PIXELS;
      setShown(visible);
      if (!scatter || !visible) return;
      for (const c of centres) {
        const element = elements.current.get(c.cluster);
        if (element) place(element, c);
      }
    };
    listeners.add(listener);
    listener();
    return () => {
      listeners.delete(listener);
    };
  }, [listeners, centres, plot, place]);
  if (!shown) return null;
  return (
    <div className="map-labels">
      {centres.map((c) => (
        <div
          key={c.cluster}
          ref={(element) => {
            if (element) {
              elements.current.set(c.cluster, element);
              place(element, c);
            } else elements.current.delete(c.cluster);
          }}
          className="map-label"
          style={{ borderColor: clusterColor(c.cluster) }}
          title={`Cluster ${c.cluster}`}
        >
          {c.representatives.slice(0, 3).map((id) => (
            <img key={id} src={bridge.mediaUrl('thumbnail', id)} alt="" onError={hideBrokenImage} />
          ))}
        </div>
      ))}
    </div>
  );
}

export function EmptyState({
  title,
  text,
  action,
}: {
  title: string;
  text: string;
  action?: React.ReactNode;
}) {
  return (
    <div className="empty-state">
      <h2>{title}</h2>
      <p>{text}</p>
      {action}
    </div>
  );
}
