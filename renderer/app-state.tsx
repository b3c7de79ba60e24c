import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ApiEvent, AppInfo, JobInfo, LibraryStatus, ModelSummary, TrainingMetric } from '../core/api.ts';
import { bridge, explain } from './bridge.ts';
import { type FilterChoice, NO_FILTER } from './filter-choice.ts';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
  hint?: string;
}

interface AppState {
  info: AppInfo | null;
  status: LibraryStatus | null;
  jobs: JobInfo[];
  model: ModelSummary | null;
  selectModel(id: number): void;
  refresh(): void;
  notices: Notice[];
  notify(notice: Omit<Notice, 'id'>): void;
  dismiss(id: number): void;
  /** Runs a request; a failure becomes a notice that says what to do. Resolves to null on failure. */
  run<T>(work: () => Promise<T>): Promise<T | null>;
  /** Live training metrics by job id, appended as events arrive. */
  metrics: Map<string, TrainingMetric[]>;
  /** Bumped on every library-changed event so views reload what they show. */
  revision: number;
  /** The one photo filter: the map shows it, the Library grid and label exports follow it. */
  filter: FilterChoice;
  setFilter(filter: FilterChoice): void;
}

const Context = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(Context);
  if (!state) throw new Error('useApp outside AppProvider');
  return state;
}

export function useBridgeEvents(listener: (event: ApiEvent) => void): void {
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => bridge.onEvent((event) => ref.current(event)), []);
}

const MODEL_KEY = 'dinoscope.model';

export function AppProvider({ children }: { children: ReactNode }) {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [status, setStatus] = useState<LibraryStatus | null>(null);
  const [jobs, setJobs] = useState<JobInfo[]>([]);
  const [modelId, setModelId] = useState<number | null>(
    () => Number(localStorage.getItem(MODEL_KEY)) || null,
  );
  const [notices, setNotices] = useState<Notice[]>([]);
  const [revision, setRevision] = useState(0);
  const [metrics, setMetrics] = useState(() => new Map<string, TrainingMetric[]>());
  const [filter, setFilter] = useState<FilterChoice>(NO_FILTER);
  const nextNotice = useRef(1);
  const lastScanRefresh = useRef(0);

  const notify = useCallback((notice: Omit<Notice, 'id'>) => {
    const id = nextNotice.current++;
    setNotices((list) => [...list.slice(-3), { ...notice, id }]);
    if (notice.kind === 'info') setTimeout(() => setNotices((list) => list.filter((n) => n.id !== id)), 5000);
  }, []);
  const dismiss = useCallback((id: number) => setNotices((list) => list.filter((n) => n.id !== id)), []);

  const run = useCallback(
    async <T,>(work: () => Promise<T>): Promise<T | null> => {
      try {
        return await work();
      } catch (error) {
        notify({ kind: 'error', ...explain(error) });
        return null;
      }
    },
    [notify],
  );

  const refresh = useCallback(() => {
    void run(() => bridge.invoke('library.status', {})).then((next) => next && setStatus(next));
  }, [run]);

  useEffect(() => {
    void run(() => bridge.invoke('app.info', {})).then((next) => next && setInfo(next));
    void run(() => bridge.invoke('jobs.list', {})).then((list) => list && setJobs(list));
    refresh();
  }, [run, refresh]);

  useBridgeEvents((event) => {
    if (event.type === 'job') {
      setJobs((list) => [event.job, ...list.filter((job) => job.id !== event.job.id)]);
      // While a scan runs, the counts and the grid fill in every few seconds instead of at the end.
      if (
        event.job.kind === 'scan' &&
        event.job.status === 'running' &&
        Date.now() - lastScanRefresh.current > 3000
      ) {
        lastScanRefresh.current = Date.now();
        refresh();
        setRevision((value) => value + 1);
      }
      if (event.job.status === 'failed' && event.job.failure) {
        notify({
          kind: 'error',
          message: `${event.job.title} failed: ${event.job.failure.message}`,
          hint: event.job.failure.hint,
        });
      }
    } else if (event.type === 'training-metric') {
      setMetrics((previous) => {
        const next = new Map(previous);
        next.set(event.jobId, [...(previous.get(event.jobId) ?? []), event.metric]);
        return next;
      });
    } else if (event.type === 'library-changed') {
      refresh();
      setRevision((value) => value + 1);
    }
  });

  const models = status?.models ?? [];
  const model = models.find((m) => m.id === modelId) ?? models.at(-1) ?? null;
  // Cluster numbers belong to one model's map: another model's cluster 3 is other photos.
  const modelKey = model?.id ?? null;
  useEffect(() => {
    void modelKey;
    setFilter((choice) => (choice.clusters.length > 0 ? { ...choice, clusters: [] } : choice));
  }, [modelKey]);
  const selectModel = useCallback((id: number) => {
    localStorage.setItem(MODEL_KEY, String(id));
    setModelId(id);
  }, []);

  const value = useMemo(
    () => ({
      info,
      status,
      jobs,
      model,
      selectModel,
      refresh,
      notices,
      notify,
      dismiss,
      run,
      metrics,
      revision,
      filter,
      setFilter,
    }),
    [
      info,
      status,
      jobs,
      model,
      selectModel,
      refresh,
      notices,
      notify,
      dismiss,
      run,
      metrics,
      revision,
      filter,
    ],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

/** The newest job of a kind (running or finished), for the view that started it. */
export function useLatestJob(kind: JobInfo['kind']): JobInfo | null {
  const { jobs } = useApp();
  return jobs.find((job) => job.kind === kind) ?? null;
}
