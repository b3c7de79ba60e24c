import { type ComponentProps, useEffect, useMemo, useState } from 'react';
import type {
  JobInfo,
  ModelSummary,
  TrainingMetric,
  TrainingPreset,
  TrainingRunSummary,
} from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { JobCard } from '../components/job-card.tsx';
import { LineChart } from '../components/line-chart.tsx';
import { PublishedWeightsCard } from '../components/published-weights-card.tsx';
import { formatCount, formatDuration, formatNumber } from '../format.ts';

const ARCHS = [
  { value: 'vit_tiny', label: 'ViT-Tiny (5 M parameters, fastest)' },
  { value: 'vit_small', label: 'ViT-Small (21 M, the reference)' },
  { value: 'vit_base', label: 'ViT-Base (85 M, needs a GPU)' },
] as const;

type ChartSpec = ComponentProps<typeof LineChart>;

const formatLoss = (value: number) => formatNumber(value, 4);
const formatLr = (value: number) => value.toExponential(1);
const formatRate = (value: number) => formatNumber(value, 3);
const formatPercent = (value: number) => `${formatNumber(value, 3)} %`;

export function TrainingView() {
  const { jobs, metrics, run, status, info, revision } = useApp();
  const [presets, setPresets] = useState<TrainingPreset[]>([]);
  const [preset, setPreset] = useState('quick');
  const [arch, setArch] = useState<string>('');
  const [epochs, setEpochs] = useState<number | ''>('');
  const [batch, setBatch] = useState<number | ''>('');
  const [weightsPath, setWeightsPath] = useState('');
  const [heads, setHeads] = useState<number | ''>('');
  const [runs, setRuns] = useState<TrainingRunSummary[]>([]);
  const [history, setHistory] = useState<TrainingMetric[]>([]);

  useEffect(() => {
    void bridge.invoke('training.presets', {}).then(setPresets, () => {});
  }, []);
  useEffect(() => {
    void revision;
    void bridge.invoke('training.runs', {}).then(setRuns, () => {});
  }, [revision]);

  const trainJob = jobs.find((job) => job.kind === 'train') ?? null;
  const live = trainJob ? (metrics.get(trainJob.id) ?? []) : [];
  const lastRun = runs[0];
  useEffect(() => {
    if (!lastRun) return;
    void bridge.invoke('training.metrics', { runId: lastRun.id }).then(setHistory, () => setHistory([]));
  }, [lastRun]);
  const shown = live.length > 0 ? live : history;
  const series = useMemo(
    () => ({
      step: shown.map((m) => m.step),
      loss: shown.map((m) => m.loss),
      lr: shown.map((m) => m.lr),
      entropy: shown.map((m) => m.teacherEntropy),
      rate: shown.map((m) => m.imagesPerSecond),
    }),
    [shown],
  );
  // Feature health is measured every few dozen steps: its charts plot only those steps.
  const health = useMemo(() => {
    const measured = shown.filter((m) => m.effectiveRank !== null);
    const labelled = measured.filter((m) => m.knnTop1 !== null);
    return {
      step: measured.map((m) => m.step),
      views: measured.map((m) => m.viewRetrieval),
      rank: measured.map((m) => m.effectiveRank),
      knnStep: labelled.map((m) => m.step),
      knn: labelled.map((m) => m.knnTop1),
    };
  }, [shown]);
  // A health chart waits for a second measurement: one point draws no line.
  const charts: ChartSpec[] = [
    { title: 'Loss', x: series.step, y: series.loss, color: '#f28e2b', format: formatLoss },
    { title: 'Learning rate', x: series.step, y: series.lr, color: '#76b7b2', format: formatLr },
    { title: 'Teacher entropy', x: series.step, y: series.entropy, color: '#b07aa1', format: formatLoss },
    ...[
      {
        title: 'Health: photos recognised from another view (%)',
        x: health.step,
        y: health.views,
        color: '#4e79a7',
        format: formatPercent,
      },
      {
        title: 'Health: effective rank of the features',
        x: health.step,
        y: health.rank,
        color: '#edc948',
        format: formatRate,
      },
      {
        title: 'k-NN top-1 on the class folders (%)',
        x: health.knnStep,
        y: health.knn,
        color: '#e15759',
        format: formatPercent,
      },
    ].filter((chart) => chart.x.length > 1),
    { title: 'Images / s', x: series.step, y: series.rate, color: '#59a14f', format: formatRate },
  ];
  const selected = presets.find((p) => p.name === preset);
  const training =
    trainJob?.status === 'running' || trainJob?.status === 'pausing' || trainJob?.status === 'cancelling';
  const otherJobs = jobs
    .filter((job) => job.kind === 'import-weights' || job.kind === 'embed' || job.kind === 'map')
    .slice(0, 3);

  return (
    <div className="view training-view">
      <header className="view-header">
        <div>
          <h1>Training</h1>
          <p className="lede">
            Teach a Vision Transformer what your photos look like — no labels needed (DINO self-distillation).
            Or start from published DINO weights.
          </p>
        </div>
      </header>

      <PublishedWeightsCard />

      <div className="columns">
        <section className="panel">
          <h2>Train on your photos</h2>
          <label className="field">
            <span>Preset</span>
            <select value={preset} onChange={(event) => setPreset(event.target.value)}>
              {presets.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          {selected && <p className="muted small">{selected.description}</p>}
          <label className="field">
            <span>Architecture</span>
            <select value={arch} onChange={(event) => setArch(event.target.value)}>
              <option value="">as the preset says ({selected?.arch ?? '…'})</option>
              {ARCHS.map((a) => (
                <option key={a.value} value={a.value}>
                  {a.label}
                </option>
              ))}
            </select>
          </label>
          <div className="field-row">
            <label className="field">
              <span>Epochs</span>
              <input
                type="number"
                min={1}
                placeholder={String(selected?.epochs ?? '')}
                value={epochs}
                onChange={(event) => setEpochs(event.target.value ? Number(event.target.value) : '')}
              />
            </label>
            <label className="field">
              <span>Batch</span>
              <input
                type="number"
                min={1}
                placeholder={String(selected?.batchSize ?? '')}
                value={batch}
                onChange={(event) => setBatch(event.target.value ? Number(event.target.value) : '')}
              />
            </label>
          </div>
          <button
            type="button"
            className="primary wide"
            disabled={training || !status?.counts.ok}
            title={status?.counts.ok ? undefined : 'Add photos in the Library first'}
            onClick={() =>
              run(() =>
                bridge.invoke('training.start', {
                  preset,
                  ...(arch ? { arch: arch as 'vit_tiny' } : {}),
                  ...(epochs ? { epochs } : {}),
                  ...(batch ? { batchSize: batch } : {}),
                }),
              )
            }
          >
            Start training
          </button>

          <h2 className="spaced">…or import weights from a file</h2>
          <p className="muted small">
            A DINO or DINOv2 checkpoint on disk: dino_deitsmall16_pretrain.pth, dinov2_vits14_pretrain.pth, a
            full checkpoint, or safetensors.
          </p>
          <div className="inline-form">
            <input
              type="text"
              aria-label="Weights file"
              placeholder="/home/you/Downloads/dino_deitsmall16_pretrain.pth"
              value={weightsPath}
              spellCheck={false}
              onChange={(event) => setWeightsPath(event.target.value)}
            />
            {info?.nativeDialogs && (
              <button
                type="button"
                onClick={async () => {
                  const file = await run(() =>
                    bridge.invoke('dialog.chooseOpenFile', { extensions: ['pth', 'safetensors'] }),
                  );
                  if (file) setWeightsPath(file);
                }}
              >
                Choose…
              </button>
            )}
            <button
              type="button"
              disabled={!weightsPath.trim()}
              onClick={async () => {
                const job = await run(() =>
                  bridge.invoke('models.importWeights', {
                    path: weightsPath.trim(),
                    ...(heads ? { heads } : {}),
                  }),
                );
                if (job) setWeightsPath('');
              }}
            >
              Import
            </button>
          </div>
          <details className="advanced">
            <summary>Advanced</summary>
            <label className="field inline">
              <span>Attention heads</span>
              <input
                type="number"
                min={1}
                placeholder="from the shapes"
                value={heads}
                onChange={(event) => setHeads(event.target.value ? Number(event.target.value) : '')}
              />
            </label>
            <p className="muted small">
              Only for checkpoints whose width is not 64 per head; the import tells you when.
            </p>
          </details>
        </section>

        <section className="panel">
          <h2>Run</h2>
          {trainJob ? (
            <>
              <JobCard job={trainJob} />
              <dl className="facts">
                <Fact label="Epoch" value={trainJob.progress?.phase ?? '—'} />
                <Fact
                  label="Step"
                  value={
                    trainJob.progress
                      ? `${formatCount(trainJob.progress.done)} / ${formatCount(trainJob.progress.total)}`
                      : '—'
                  }
                />
                <Fact label="Time left" value={formatDuration(trainJob.progress?.etaSeconds)} />
                <Fact label="Backend" value={String(trainJob.facts.backend ?? '—')} />
              </dl>
              <p className="muted small plan">
                {typeof trainJob.facts.plan === 'string'
                  ? trainJob.facts.plan
                  : 'Timing the first steps on this machine to estimate how long this takes…'}
              </p>
            </>
          ) : lastRun ? (
            <RunSummary run={lastRun} />
          ) : (
            <p className="muted">
              No training yet. A first run with the quick preset takes a few minutes on a laptop.
            </p>
          )}
          {shown.length > 0 ? (
            <div className="charts">
              {charts.map((chart) => (
                <LineChart key={chart.title} {...chart} />
              ))}
            </div>
          ) : (
            trainJob && <p className="muted">The charts start with the first training step.</p>
          )}
        </section>
      </div>

      <section className="panel">
        <h2>Models</h2>
        <ModelsTable models={status?.models ?? []} photoCount={status?.counts.ok ?? 0} jobs={jobs} />
        {otherJobs.map((job) => (
          <JobCard key={job.id} job={job} compact />
        ))}
      </section>
    </div>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function RunSummary({ run }: { run: TrainingRunSummary }) {
  const { run: request } = useApp();
  const resumable = run.status !== 'finished';
  return (
    <>
      <dl className="facts">
        <Fact label="Last run" value={`#${run.id} ${run.arch}`} />
        <Fact label="Status" value={run.status} />
        <Fact label="Epoch" value={`${run.epoch}${run.epochs ? ` / ${run.epochs}` : ''}`} />
        <Fact label="Step" value={formatCount(run.step)} />
        {run.message && <Fact label="Note" value={run.message} />}
      </dl>
      {resumable && (
        <button
          type="button"
          className="primary"
          onClick={() => request(() => bridge.invoke('training.resume', { runId: run.id }))}
        >
          Resume run {run.id}
        </button>
      )}
    </>
  );
}

function ModelsTable({
  models,
  photoCount,
  jobs,
}: {
  models: ModelSummary[];
  photoCount: number;
  jobs: JobInfo[];
}) {
  const { run, selectModel, model: current } = useApp();
  if (models.length === 0) return <p className="muted">No model yet: train one or import weights above.</p>;
  const busy = (kind: JobInfo['kind']) => jobs.some((job) => job.kind === kind && job.status === 'running');
  return (
    <table className="models">
      <thead>
        <tr>
          <th />
          <th>Model</th>
          <th>Architecture</th>
          <th>Embedded</th>
          <th>Map</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {models.map((model) => (
          <tr key={model.id} className={current?.id === model.id ? 'current' : ''} data-model-id={model.id}>
            <td>
              <input
                type="radio"
                name="model"
                aria-label={`Use ${model.name}`}
                checked={current?.id === model.id}
                onChange={() => selectModel(model.id)}
              />
            </td>
            <td>
              {model.name} <span className="pill">{model.source}</span>
            </td>
            <td>{model.architecture}</td>
            <td>
              {formatCount(model.embeddedCount)} / {formatCount(photoCount)}
            </td>
            <td>{model.hasMap ? 'ready' : '—'}</td>
            <td className="actions">
              <button
                type="button"
                disabled={busy('embed') || (model.embeddedCount >= photoCount && photoCount > 0)}
                onClick={() => run(() => bridge.invoke('embed.start', { modelId: model.id }))}
              >
                Embed photos
              </button>
              <button
                type="button"
                disabled={busy('train')}
                title="Continue training this model on your photos with the guarded recipe: it stops and keeps the best model if the features get worse"
                onClick={() => run(() => bridge.invoke('training.start', { fromModel: model.id }))}
              >
                Adapt to my photos
              </button>
              <button
                type="button"
                disabled={busy('map') || model.embeddedCount === 0}
                onClick={() => run(() => bridge.invoke('map.start', { modelId: model.id }))}
              >
                {model.hasMap ? 'Recompute map' : 'Compute map'}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
