import { useEffect, useState } from 'react';
import type { PublishedWeightsCatalogue } from '../../core/api.ts';
import { useApp, useLatestJob } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { JobCard } from './job-card.tsx';

const megabytes = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;

/**
 * "Start from published weights": pick a published DINO/DINOv2 backbone, fetch it (download with
 * progress, resumable, checked, imported), then embed and map with it. On a library without a
 * model on a machine without a usable GPU this is the recommended first step, and says so.
 */
export function PublishedWeightsCard() {
  const { status, run } = useApp();
  const [catalogue, setCatalogue] = useState<PublishedWeightsCatalogue | null>(null);
  const [key, setKey] = useState('');
  const fetchJob = useLatestJob('fetch-weights');
  const embedJob = useLatestJob('embed');
  const mapJob = useLatestJob('map');

  useEffect(() => {
    void bridge.invoke('weights.catalogue', {}).then(
      (found) => {
        setCatalogue(found);
        setKey((current) => current || found.recommended);
      },
      () => {},
    );
  }, []);
  if (!catalogue) return null;

  const models = status?.models ?? [];
  const recommended = models.length === 0 && !catalogue.usableGpu;
  const selected = catalogue.entries.find((entry) => entry.key === key);
  const fetching = fetchJob?.status === 'running' || fetchJob?.status === 'cancelling';
  const fetchedId =
    fetchJob?.status === 'succeeded'
      ? ((fetchJob.result as { model?: { id?: number } } | null)?.model?.id ?? null)
      : null;
  const fetched = models.find((model) => model.id === fetchedId) ?? null;
  const busy = (job: typeof embedJob) => job?.status === 'running' || job?.status === 'cancelling';

  return (
    <section
      className={`panel published-weights ${recommended ? 'recommended' : ''}`}
      data-recommended={recommended}
    >
      <h2>
        Start from published weights
        {recommended && <span className="pill">recommended first step</span>}
      </h2>
      <p className="muted small">{catalogue.advice}</p>
      <div className="inline-form">
        <select aria-label="Published weights" value={key} onChange={(event) => setKey(event.target.value)}>
          {catalogue.entries.map((entry) => (
            <option key={entry.key} value={entry.key}>
              {entry.title} — {megabytes(entry.approximateBytes)}, ImageNet k-NN {entry.imagenetKnn} %
            </option>
          ))}
        </select>
        <button
          type="button"
          className={recommended ? 'primary' : undefined}
          disabled={!selected || fetching}
          onClick={() => run(() => bridge.invoke('weights.fetch', { key }))}
        >
          Fetch
        </button>
      </div>
      {selected && (
        <p className="muted small">
          {selected.goodFor.charAt(0).toUpperCase() + selected.goodFor.slice(1)}. {selected.architecture};{' '}
          {selected.licence}
          {selected.checksumPinned ? '; SHA-256 verified' : '; checked by its tensor names and shapes'}.
        </p>
      )}
      {fetchJob && <JobCard job={fetchJob} compact />}
      {fetched && (
        <div className="next-steps">
          <span>Next, with {fetched.name}:</span>
          <button
            type="button"
            className="primary"
            disabled={
              busy(embedJob) ||
              (fetched.embeddedCount >= (status?.counts.ok ?? 0) && fetched.embeddedCount > 0)
            }
            onClick={() => run(() => bridge.invoke('embed.start', { modelId: fetched.id }))}
          >
            1. Embed photos
          </button>
          <button
            type="button"
            disabled={busy(mapJob) || fetched.embeddedCount === 0}
            onClick={() => run(() => bridge.invoke('map.start', { modelId: fetched.id }))}
          >
            2. Compute map
          </button>
        </div>
      )}
    </section>
  );
}
