import { useEffect, useRef, useState } from 'react';
import type { AttentionData, ImageDetail, Neighbor } from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge, explain } from '../bridge.ts';
import { TagSelection } from '../components/tag-panel.tsx';
import { ThumbnailGrid } from '../components/thumbnail-grid.tsx';
import { basename, formatBytes } from '../format.ts';
import { inferno, massMask } from '../map/attention-colors.ts';
import { navigate } from '../router.ts';
import { EmptyState } from './map-view.tsx';

const NEIGHBOURS = 24;

export function PhotoView({ imageId }: { imageId: number | null }) {
  const { model, run } = useApp();
  const [detail, setDetail] = useState<ImageDetail | null>(null);
  const [neighbors, setNeighbors] = useState<Neighbor[] | null>(null);
  const [neighborError, setNeighborError] = useState<string | null>(null);
  const [attention, setAttention] = useState<AttentionData | null>(null);
  const [attentionError, setAttentionError] = useState<{ message: string; hint?: string } | null>(null);
  const [attentionLoading, setAttentionLoading] = useState(false);
  const [showAttention, setShowAttention] = useState(false);
  const [head, setHead] = useState<'mean' | number>('mean');
  const [mask, setMask] = useState(false);
  const [tagNames, setTagNames] = useState<{ id: number; name: string; count: number }[]>([]);
  const [tagRevision, setTagRevision] = useState(0);

  useEffect(() => {
    if (imageId) setDetail((previous) => (previous?.id === imageId ? previous : null));
  }, [imageId]);

  useEffect(() => {
    void tagRevision;
    if (!imageId) return;
    void run(() => bridge.invoke('library.image', { imageId })).then((next) => next && setDetail(next));
    void run(() => bridge.invoke('tags.list', {})).then((list) => list && setTagNames(list));
  }, [imageId, tagRevision, run]);

  useEffect(() => {
    setNeighbors(null);
    setNeighborError(null);
    setAttention(null);
    setAttentionError(null);
    if (!imageId) return;
    if (!model) return;
    bridge
      .invoke('photo.neighbors', { imageId, modelId: model.id, k: NEIGHBOURS })
      .then(setNeighbors, (error) => {
        const { message, hint } = explain(error);
        setNeighborError(hint ? `${message} ${hint}` : message);
      });
  }, [imageId, model]);

  useEffect(() => {
    if (!showAttention || !imageId || !model || attention || attentionError) return;
    setAttentionLoading(true);
    bridge
      .invoke('photo.attention', { imageId, modelId: model.id })
      .then(setAttention, (error) => setAttentionError(explain(error)))
      .finally(() => setAttentionLoading(false));
  }, [showAttention, imageId, model, attention, attentionError]);

  if (!imageId) {
    return (
      <div className="view">
        <EmptyState title="No photo open" text="Open a photo from the Library or the Map." />
      </div>
    );
  }
  return (
    <div className="view photo-view">
      <div className="photo-layout">
        <section className="photo-stage">
          <div className="photo-frame">
            <img className="photo" src={bridge.mediaUrl('photo', imageId)} alt={detail?.relPath ?? ''} />
            {showAttention && attention && <AttentionOverlay data={attention} head={head} mask={mask} />}
          </div>
          <div className="photo-toolbar">
            <label className="toggle">
              <input
                type="checkbox"
                checked={showAttention}
                disabled={!model}
                onChange={(event) => setShowAttention(event.target.checked)}
              />
              <span>Attention</span>
            </label>
            {showAttention && attention && (
              <>
                <label className="field inline">
                  <span>Head</span>
                  <select
                    aria-label="Attention head"
                    value={String(head)}
                    onChange={(event) =>
                      setHead(event.target.value === 'mean' ? 'mean' : Number(event.target.value))
                    }
                  >
                    <option value="mean">mean of {attention.heads.length}</option>
                    {attention.heads.map((_, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: heads are positional and never reorder.
                      <option key={i} value={i}>
                        head {i}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="toggle">
                  <input type="checkbox" checked={mask} onChange={(event) => setMask(event.target.checked)} />
                  <span>60 % mass mask</span>
                </label>
              </>
            )}
            {attentionLoading && <span className="muted">Computing attention…</span>}
            {attentionError && (
              <span className="inline-error">
                {attentionError.message} {attentionError.hint}
              </span>
            )}
          </div>
        </section>
        <aside className="photo-info">
          <h1 title={detail?.path}>{detail ? basename(detail.relPath) : '…'}</h1>
          {detail && (
            <dl className="facts">
              <div>
                <dt>Folder</dt>
                <dd title={detail.folderPath}>
                  {detail.relPath.includes('/')
                    ? detail.relPath.split('/').slice(0, -1).join('/')
                    : basename(detail.folderPath)}
                </dd>
              </div>
              <div>
                <dt>Size</dt>
                <dd>
                  {detail.width} × {detail.height} · {formatBytes(detail.size)} · {detail.format}
                </dd>
              </div>
              {detail.capturedAt && (
                <div>
                  <dt>Taken</dt>
                  <dd>{detail.capturedAt.replace('T', ' ')}</dd>
                </div>
              )}
            </dl>
          )}
          {detail && (
            <div className="photo-tags">
              <div className="chips">
                {detail.tags.map((tag) => (
                  <span key={tag} className="chip active">
                    {tag}
                  </span>
                ))}
              </div>
              <TagSelection
                imageIds={[imageId]}
                tags={tagNames}
                onChanged={() => setTagRevision((r) => r + 1)}
              />
            </div>
          )}
          <button type="button" className="subtle" onClick={() => window.history.back()}>
            ← Back
          </button>
        </aside>
      </div>
      <section className="panel neighbours">
        <h2>Most similar photos {model && <span className="muted">({model.name})</span>}</h2>
        {!model && <p className="muted">Train or import a model to find similar photos.</p>}
        {neighborError && <p className="inline-error">{neighborError}</p>}
        {neighbors && (
          <ThumbnailGrid
            count={neighbors.length}
            itemAt={(index) => ({
              id: neighbors[index].imageId,
              label: `#${neighbors[index].imageId}`,
              note: `similarity ${neighbors[index].similarity.toFixed(3)}`,
            })}
            onOpen={(id) => navigate({ view: 'photo', imageId: id })}
            height="auto"
          />
        )}
      </section>
    </div>
  );
}

/** The heatmap drawn over the photo at the patch grid's resolution, upsampled without smoothing like the reference. */
function AttentionOverlay({
  data,
  head,
  mask,
}: {
  data: AttentionData;
  head: 'mean' | number;
  mask: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const element = canvas.current;
    const context = element?.getContext('2d');
    if (!element || !context) return;
    const weights = head === 'mean' ? data.mean : data.heads[head];
    element.width = data.gridWidth;
    element.height = data.gridHeight;
    const image = context.createImageData(data.gridWidth, data.gridHeight);
    // Stretched between the map's own minimum and maximum: an untrained model's attention is nearly
    // flat, and its structure should still show.
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (const weight of weights) {
      low = Math.min(low, weight);
      high = Math.max(high, weight);
    }
    const span = high - low || 1;
    const kept = mask ? massMask(weights, 0.6) : null;
    for (const [i, weight] of weights.entries()) {
      const t = (weight - low) / span;
      if (kept) {
        image.data.set([0, 0, 0, kept[i] ? 0 : 200], i * 4);
      } else {
        const [r, g, b] = inferno(t);
        image.data.set([r, g, b, 25 + 175 * t], i * 4);
      }
    }
    context.putImageData(image, 0, 0);
  }, [data, head, mask]);
  return (
    <canvas
      ref={canvas}
      className="attention-overlay"
      data-head={String(head)}
      data-mask={mask ? 'on' : 'off'}
    />
  );
}
