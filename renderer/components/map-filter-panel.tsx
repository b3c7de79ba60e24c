import type { MapFacts } from '../../core/api.ts';
import { type FilterChoice, isFiltering, NO_FILTER } from '../filter-choice.ts';
import { TimelineBrush } from './timeline-brush.tsx';

/** Cluster, folder, format, tag, "has no tag" and capture-date filters over the map's photos. */
export function MapFilterPanel({
  facts,
  clusters,
  choice,
  onChange,
  shown,
  total,
}: {
  facts: MapFacts;
  /** The map's clusters, largest first (−1: the photos in none). */
  clusters: { cluster: number; size: number }[];
  choice: FilterChoice;
  onChange(choice: FilterChoice): void;
  shown: number;
  total: number;
}) {
  const toggle = (list: string[], value: string) =>
    list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
  return (
    <section className="filter-panel" aria-label="Filter">
      <h2>
        Filter{' '}
        <span className="pill" data-testid="filter-count">
          {shown === total ? 'all' : `${shown} of ${total}`}
        </span>
      </h2>
      <ChipGroup
        label="Cluster"
        options={clusters.map((c) => ({
          value: String(c.cluster),
          label: `${c.cluster >= 0 ? c.cluster : 'none'} (${c.size})`,
        }))}
        chosen={choice.clusters.map(String)}
        onToggle={(value) =>
          onChange({
            ...choice,
            clusters: toggle(choice.clusters.map(String), value).map(Number),
          })
        }
      />
      <ChipGroup
        label="Folder"
        options={facts.folders.map((f) => ({
          value: f,
          label: f.split(/[\\/]/).filter(Boolean).slice(-2).join('/'),
        }))}
        chosen={choice.folders}
        onToggle={(value) => onChange({ ...choice, folders: toggle(choice.folders, value) })}
      />
      <ChipGroup
        label="Format"
        options={facts.formats.map((f) => ({ value: f, label: f }))}
        chosen={choice.formats}
        onToggle={(value) => onChange({ ...choice, formats: toggle(choice.formats, value) })}
      />
      <ChipGroup
        label="Tag"
        options={facts.tags.map((t) => ({ value: t.name, label: `${t.name} (${t.count})` }))}
        chosen={choice.tags}
        onToggle={(value) => onChange({ ...choice, tags: toggle(choice.tags, value), untagged: false })}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={choice.untagged}
          onChange={(event) => onChange({ ...choice, untagged: event.target.checked, tags: [] })}
        />
        Has no tag
      </label>
      <div className="filter-group">
        <span className="filter-label">Captured</span>
        <TimelineBrush
          times={facts.capturedAt}
          range={choice.dates}
          onChange={(dates) => onChange({ ...choice, dates })}
        />
      </div>
      {isFiltering(choice) && (
        <button type="button" onClick={() => onChange(NO_FILTER)}>
          Clear filter
        </button>
      )}
    </section>
  );
}

function ChipGroup({
  label,
  options,
  chosen,
  onToggle,
}: {
  label: string;
  options: { value: string; label: string }[];
  chosen: string[];
  onToggle(value: string): void;
}) {
  if (options.length === 0) return null;
  return (
    <div className="filter-group">
      <span className="filter-label">{label}</span>
      <div className="chips">
        {options.slice(0, 60).map((option) => (
          <button
            type="button"
            key={option.value}
            title={option.value}
            className={chosen.includes(option.value) ? 'chip active' : 'chip'}
            aria-pressed={chosen.includes(option.value)}
            onClick={() => onToggle(option.value)}
          >
            {option.label}
          </button>
        ))}
      </div>
    </div>
  );
}
