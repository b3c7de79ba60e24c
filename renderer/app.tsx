import { useApp } from './app-state.tsx';
import { JobCard } from './components/job-card.tsx';
import { Notices } from './components/notices.tsx';
import { formatCount } from './format.ts';
import { href, type Route, useRoute } from './router.ts';
import { DuplicatesView } from './views/duplicates-view.tsx';
import { ExportView } from './views/export-view.tsx';
import { LibraryView } from './views/library-view.tsx';
import { MapView } from './views/map-view.tsx';
import { PhotoView } from './views/photo-view.tsx';
import { TrainingView } from './views/training-view.tsx';

const NAV: { view: Route['view']; label: string; icon: string }[] = [
  { view: 'library', label: 'Library', icon: '▦' },
  { view: 'training', label: 'Training', icon: '◎' },
  { view: 'map', label: 'Map', icon: '⁘' },
  { view: 'photo', label: 'Photo', icon: '▣' },
  { view: 'duplicates', label: 'Duplicates', icon: '◫' },
  { view: 'export', label: 'Export', icon: '⇪' },
];

export function App() {
  const route = useRoute();
  const { status, model, selectModel, jobs } = useApp();
  const running = jobs.filter(
    (job) => job.status === 'running' || job.status === 'pausing' || job.status === 'cancelling',
  );
  return (
    <div className="app">
      <nav className="sidebar">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◉
          </span>
          dinoscope
        </div>
        <ul>
          {NAV.map((item) => (
            <li key={item.view}>
              <a
                href={href(
                  item.view === 'photo'
                    ? { view: 'photo', imageId: route.view === 'photo' ? route.imageId : null }
                    : ({ view: item.view } as Route),
                )}
                className={route.view === item.view ? 'active' : ''}
                aria-current={route.view === item.view ? 'page' : undefined}
              >
                <span className="icon" aria-hidden>
                  {item.icon}
                </span>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-footer">
          {status && status.models.length > 0 && (
            <label className="field">
              <span>Model</span>
              <select
                value={model?.id ?? ''}
                onChange={(event) => selectModel(Number(event.target.value))}
                aria-label="Model"
              >
                {status.models.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name} · {m.architecture}
                  </option>
                ))}
              </select>
            </label>
          )}
          {status && <p className="muted small">{formatCount(status.counts.ok)} photos</p>}
          {running.map((job) => (
            <JobCard key={job.id} job={job} compact />
          ))}
        </div>
      </nav>
      <main className="content">
        {route.view === 'library' && <LibraryView />}
        {route.view === 'training' && <TrainingView />}
        {route.view === 'map' && <MapView />}
        {route.view === 'photo' && <PhotoView imageId={route.imageId} />}
        {route.view === 'duplicates' && <DuplicatesView />}
        {route.view === 'export' && <ExportView />}
      </main>
      <Notices />
    </div>
  );
}
