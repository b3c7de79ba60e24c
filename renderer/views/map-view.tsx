import { useEffect, useMemo, useRef, useState } from 'react';
import type { MapData } from '../../core/api.ts';
import { useApp, useLatestJob } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { JobCard } from '../components/job-card.tsx';
import { SavePathField } from '../components/path-field.tsx';
import { hideBrokenImage, ThumbnailGrid } from '../components/thumbnail-grid.tsx';
import { formatCount } from '../format.ts';
import { clusterColor, clusterColorBytes, ScatterPlot } from '../map/scatter-gl.ts';
import { navigate } from '../router.ts';

declare global {
  interface Window {
    /** The map's points on screen, for automation (the end-to-end test hovers a known point). */
    dinoscopeMap?: {
      count: number;
      imageIdAt(index: number): number;
      screenPosition(index: number): { x: number; y: number };
    };
  }
}

const NO_POINTS: MapData['points'] = { imageIds: [], x: [], y: [], cluster: [] };

export function MapView() {
  const { model, run, revision, notify } = useApp();
  const mapJob = useLatestJob('map');
  const [data, setData] = useState<MapData | null | undefined>(undefined);
  const [selection, setSelection] = useState<number[]>([]);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const [lasso, setLasso] = useState(false);
  const [showGrid, setShowGrid] = useState(false);
  const [exportPath, setExportPath] = useState('');
  const canvas = useRef<HTMLCanvasElement>(null);
  const overlay = useRef<HTMLCanvasElement>(null);
  const plot = useRef<ScatterPlot | null>(null);
  const [glError, setGlError] = useState<string | null>(null);

  useEffect(() => {
    void revision;
    if (!model) return;
    void run(() => bridge.invoke('map.get', { modelId: model.id })).then((map) => setData(map));
  }, [model, revision, run]);

  const points = data?.points ?? NO_POINTS;
  const count = points.imageIds.length;
  useEffect(() => {
    if (!canvas.current || !overlay.current || count === 0) return;
    let scatter: ScatterPlot;
    try {
      scatter = new ScatterPlot(canvas.current, overlay.current, {
        onHover: (index, x, y) => setHover(index === null ? null : { index, x, y }),
        onClick: (index) => navigate({ view: 'photo', imageId: points.imageIds[index] }),
        onLasso: (indices) => setSelection(indices),
      });
    } catch (error) {
      setGlError((error as Error).message);
      return;
    }
    const xs = Float32Array.from(points.x);
    const ys = Float32Array.from(points.y);
    const colors = new Uint8Array(points.cluster.length * 3);
    for (const [i, cluster] of points.cluster.entries()) colors.set(clusterColorBytes(cluster), i * 3);
    scatter.setPoints(xs, ys, colors);
    plot.current = scatter;
    window.dinoscopeMap = {
      count: points.imageIds.length,
      imageIdAt: (index) => points.imageIds[index],
      screenPosition: (index) => scatter.screenPosition(index),
    };
    setSelection([]);
    return () => {
      scatter.destroy();
      plot.current = null;
      window.dinoscopeMap = undefined;
    };
  }, [points, count]);

  useEffect(() => {
    plot.current?.setSelection(selection);
  }, [selection]);
  useEffect(() => {
    if (plot.current) plot.current.lassoMode = lasso;
  }, [lasso]);

  const clusters = useMemo(() => [...(data?.clusters ?? [])].sort((a, b) => b.size - a.size), [data]);
  const selectCluster = (cluster: number) =>
    setSelection(points.cluster.flatMap((c, i) => (c === cluster ? [i] : [])));
  const selectedIds = useMemo(() => selection.map((i) => points.imageIds[i]), [selection, points]);
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
            </div>
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
                <SavePathField
                  label="Export the list (CSV)"
                  value={exportPath}
                  onChange={setExportPath}
                  suggestedName="selection.csv"
                  extensions={['csv']}
                />
                <button
                  type="button"
                  disabled={!exportPath.trim()}
                  onClick={async () => {
                    const written = await run(() =>
                      bridge.invoke('export.selection', {
                        modelId: model.id,
                        imageIds: selectedIds,
                        path: exportPath.trim(),
                      }),
                    );
                    if (written)
                      notify({
                        kind: 'info',
                        message: `Wrote ${formatCount(written.count)} photos to ${written.path}`,
                      });
                  }}
                >
                  Export selection
                </button>
              </div>
            )}
          </aside>
        </div>
      )}
      {showGrid && (
        <div className="modal" role="dialog" aria-label="Selected photos">
          <div className="modal-body">
            <header>
              <h2>{formatCount(selectedIds.length)} selected photos</h2>
              <button type="button" className="close" aria-label="Close" onClick={() => setShowGrid(false)}>
                ×
              </button>
            </header>
            <ThumbnailGrid
              count={selectedIds.length}
              itemAt={(index) => ({ id: selectedIds[index], label: `#${selectedIds[index]}` })}
              onOpen={(id) => navigate({ view: 'photo', imageId: id })}
              height="70vh"
            />
          </div>
        </div>
      )}
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
