import type { MapFacts, PhotoFilter } from '../../core/api.ts';
import { localIso, TimelineBrush } from './timeline-brush.tsx';

/** What the person chose in the filter panel; `toPhotoFilter` turns it into the contract's filter. */
export interface FilterChoice {
  folders: string[];
  formats: string[];
  tags: string[];
  untagged: boolean;
  dates: { from: number; to: number } | null;
}

export const NO_FILTER: FilterChoice = { folders: [], formats: [], tags: [], untagged: false, dates: null };

export function toPhotoFilter(choice: FilterChoice): PhotoFilter {
  const filter: PhotoFilter = {};
  if (choice.folders.length > 0) filter.folders = choice.folders;
  if (choice.formats.length > 0) filter.formats = choice.formats;
  if (choice.tags.length > 0) filter.tags = choice.tags;
  if (choice.untagged) filter.untagged = true;
  if (choice.dates) {
    filter.capturedFrom = localIso(choice.dates.from);
    filter.capturedTo = localIso(choice.dates.to);
  }
  return filter;
}

export function isFiltering(choice: FilterChoice): boolean {
  return Object.keys(toPhotoFilter(choice)).length > 0;
}

/** Folder, format, tag, "has no tag" and capture-date filters over the map's photos. */
export function MapFilterPanel({
  facts,
  choice,
  onChange,
  shown,
  total,
}: {
  facts: MapFacts;
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
