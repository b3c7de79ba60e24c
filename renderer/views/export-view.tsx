import { useState } from 'react';
import type { FeatureFormat, ModelFormat } from '../../core/api.ts';
import { useApp } from '../app-state.tsx';
import { bridge } from '../bridge.ts';
import { JobCard } from '../components/job-card.tsx';
import { SavePathField } from '../components/path-field.tsx';
import { formatCount } from '../format.ts';
import { EmptyState } from './map-view.tsx';

const FEATURE_FORMATS: { value: FeatureFormat; label: string; note: string }[] = [
  {
    value: 'npy',
    label: 'NumPy .npy',
    note: 'float32 matrix + a row-aligned ids/paths CSV; np.load() reads it.',
  },
  {
    value: 'parquet',
    label: 'Parquet',
    note: 'path, id, folder, capture time and the vector; pandas, polars, DuckDB.',
  },
  { value: 'csv', label: 'CSV', note: 'one row per photo; fine for small libraries.' },
];
const MODEL_FORMATS: { value: ModelFormat; label: string; note: string }[] = [
  { value: 'onnx', label: 'ONNX', note: 'Runs in ONNX Runtime anywhere: CLS embedding and last attention.' },
  {
    value: 'safetensors',
    label: 'safetensors',
    note: 'Official DINO tensor names: the reference VisionTransformer loads it.',
  },
];

export function ExportView() {
  const { model, jobs, run } = useApp();
  const [featureFormat, setFeatureFormat] = useState<FeatureFormat>('npy');
  const [featurePath, setFeaturePath] = useState('');
  const [modelFormat, setModelFormat] = useState<ModelFormat>('onnx');
  const [modelPath, setModelPath] = useState('');
  if (!model) {
    return (
      <div className="view">
        <EmptyState title="Nothing to export yet" text="Train or import a model, then embed your photos." />
      </div>
    );
  }
  const exports = jobs
    .filter((job) => job.kind === 'export-features' || job.kind === 'export-model')
    .slice(0, 4);
  return (
    <div className="view export-view">
      <header className="view-header">
        <div>
          <h1>Export</h1>
          <p className="lede">Take the embeddings and the model to Python, a notebook or another tool.</p>
        </div>
      </header>
      <div className="columns">
        <section className="panel">
          <h2>Features</h2>
          <p className="muted small">
            {formatCount(model.embeddedCount)} embeddings of {model.embedDim} values from {model.name}.
          </p>
          <Choices<FeatureFormat>
            name="feature-format"
            value={featureFormat}
            options={FEATURE_FORMATS}
            onChange={setFeatureFormat}
          />
          <SavePathField
            label="Save as"
            value={featurePath}
            onChange={setFeaturePath}
            suggestedName={`features.${featureFormat}`}
            extensions={[featureFormat]}
          />
          <button
            type="button"
            className="primary"
            disabled={!featurePath.trim() || model.embeddedCount === 0}
            onClick={() =>
              run(() =>
                bridge.invoke('export.features', {
                  modelId: model.id,
                  format: featureFormat,
                  path: featurePath.trim(),
                }),
              )
            }
          >
            Export features
          </button>
        </section>
        <section className="panel">
          <h2>Model</h2>
          <p className="muted small">
            The backbone of {model.name} ({model.architecture}).
          </p>
          <Choices<ModelFormat>
            name="model-format"
            value={modelFormat}
            options={MODEL_FORMATS}
            onChange={setModelFormat}
          />
          <SavePathField
            label="Save as"
            value={modelPath}
            onChange={setModelPath}
            suggestedName={`${model.name.replace(/[^\w.-]+/g, '-')}.${modelFormat}`}
            extensions={[modelFormat]}
          />
          <button
            type="button"
            className="primary"
            disabled={!modelPath.trim()}
            onClick={() =>
              run(() =>
                bridge.invoke('export.model', {
                  modelId: model.id,
                  format: modelFormat,
                  path: modelPath.trim(),
                }),
              )
            }
          >
            Export model
          </button>
        </section>
      </div>
      {exports.map((job) => (
        <div key={job.id} className="export-job">
          <JobCard job={job} />
          {job.status === 'succeeded' && <WrittenFiles result={job.result} />}
        </div>
      ))}
    </div>
  );
}

function Choices<T extends string>({
  name,
  value,
  options,
  onChange,
}: {
  name: string;
  value: T;
  options: { value: T; label: string; note: string }[];
  onChange(value: T): void;
}) {
  return (
    <div className="choices" role="radiogroup">
      {options.map((option) => (
        <label key={option.value} className={`choice ${value === option.value ? 'checked' : ''}`}>
          <input
            type="radio"
            name={name}
            value={option.value}
            checked={value === option.value}
            onChange={() => onChange(option.value)}
          />
          <span className="choice-text">
            <strong>{option.label}</strong>
            <small>{option.note}</small>
          </span>
        </label>
      ))}
    </div>
  );
}

/** Where an export went: the files the job reported (features come with a row-aligned ids file). */
function WrittenFiles({ result }: { result: unknown }) {
  const files = (result as { files?: unknown } | null)?.files;
  if (!Array.isArray(files) || files.length === 0) return null;
  return <p className="written">Saved {files.map((file) => String(file)).join(' and ')}</p>;
}
