/**
 * The one contract between the UI and the core: every request the UI can make, every event it can
 * receive. Types only. Two transports carry it, and nothing else talks to the core: Electron IPC
 * (`electron/preload.ts` exposes a `DinoscopeBridge` as `window.dinoscope`) and the web mode
 * (`dinoscope serve`: `POST /api/<request>` + a WebSocket of `ApiEvent`s).
 *
 * Everything here is JSON: plain objects, arrays, numbers, strings, booleans and null.
 */

// ---------------------------------------------------------------- jobs

/** Long work that runs in a background process (the CLI with `--events`), never in the UI's. */
export type JobKind =
  | 'scan'
  | 'train'
  | 'import-weights'
  | 'fetch-weights'
  | 'embed'
  | 'map'
  | 'duplicates'
  | 'export-features'
  | 'export-model';

export type JobStatus =
  | 'running'
  | 'pausing'
  | 'paused'
  | 'cancelling'
  | 'succeeded'
  | 'failed'
  | 'cancelled';

/** Same shape as `core/jobs/progress.ts`'s `ProgressEvent` (the CLI prints it with `--events`). */
export interface JobProgress {
  job: string;
  phase?: string;
  done: number;
  total: number;
  ratePerSecond: number;
  etaSeconds: number | null;
  elapsedSeconds: number;
  detail?: Record<string, number | string>;
}

/** Why a job stopped when it did not succeed: what happened, and what the person can do. */
export interface JobFailure {
  message: string;
  /** What to do about it, in words a person without a terminal understands. */
  hint: string;
  exitCode: number | null;
  signal: string | null;
  /** The last lines the background process wrote to stderr, for a bug report. */
  log: string[];
}

export interface JobInfo {
  id: string;
  kind: JobKind;
  /** e.g. "Scanning 2 folders", "Training vit_tiny/16 for 10 epochs". */
  title: string;
  status: JobStatus;
  progress: JobProgress | null;
  startedAt: number;
  finishedAt: number | null;
  failure: JobFailure | null;
  /** Warnings the job raised while running (e.g. a collapse warning during training). */
  warnings: string[];
  /** What the job said about itself when it started (e.g. training's backend and preset). */
  facts: Record<string, string | number>;
  /** The job's final JSON result line, when it printed one. */
  result: unknown;
  /** True when `jobs.resume` can continue it from what was saved (after a crash, pause or cancel). */
  resumable: boolean;
}

// ---------------------------------------------------------------- library

export interface FolderSummary {
  id: number;
  path: string;
  imageCount: number;
  lastScanFinishedAt: number | null;
}

export interface LibraryCounts {
  total: number;
  ok: number;
  error: number;
  missing: number;
}

export interface ModelSummary {
  id: number;
  name: string;
  source: 'trained' | 'imported';
  /** `vit_small/16` or a description of a custom shape. */
  architecture: string;
  embedDim: number;
  numHeads: number;
  patchSize: number;
  hasOnnx: boolean;
  embeddedCount: number;
  /** A map exists and matches the current embeddings. */
  hasMap: boolean;
  createdAt: number;
}

export interface LibraryStatus {
  libraryFile: string;
  folders: FolderSummary[];
  counts: LibraryCounts;
  models: ModelSummary[];
}

export interface ImageSummary {
  id: number;
  relPath: string;
  folderPath: string;
  width: number | null;
  height: number | null;
  status: 'ok' | 'error' | 'missing';
}

export interface ImageDetail extends ImageSummary {
  path: string;
  size: number;
  format: string | null;
  capturedAt: string | null;
  error: string | null;
  /** The photo's tags, by name. */
  tags: string[];
}

export interface ImageError {
  id: number;
  path: string;
  reason: string;
}

// ---------------------------------------------------------------- training

export interface TrainingPreset {
  name: string;
  description: string;
  arch: string;
  patchSize: number;
  epochs: number;
  batchSize: number;
}

export interface TrainingOptions {
  preset?: string;
  arch?: 'vit_tiny' | 'vit_small' | 'vit_base';
  patchSize?: 16 | 8;
  epochs?: number;
  batchSize?: number;
  /** Adapt this library model to the photos with the guarded recipe (`train --from-model`). */
  fromModel?: number;
}

/** One training step as the trainer reports it; the charts plot these. */
export interface TrainingMetric {
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  teacherEntropy: number | null;
  imagesPerSecond: number | null;
  /**
   * Feature health, on the steps where it was measured (else null): % of probe photos whose second
   * view finds its own centre crop, the effective rank of the teacher's embeddings, and weighted
   * k-NN top-1 % on a labelled sample (class-named folders only, at epoch ends).
   */
  viewRetrieval: number | null;
  effectiveRank: number | null;
  knnTop1: number | null;
}

export interface TrainingRunSummary {
  id: number;
  status: 'running' | 'paused' | 'finished' | 'failed' | 'cancelled';
  arch: string;
  epochs: number | null;
  epoch: number;
  step: number;
  message: string | null;
  startedAt: number;
  updatedAt: number;
  /** The model this run produced, once it has. */
  modelId: number | null;
}

// ---------------------------------------------------------------- published weights

/** One published backbone `weights.fetch` can download (the CLI's `dinoscope weights list`). */
export interface PublishedWeightsSummary {
  key: string;
  title: string;
  family: 'dino' | 'dinov2';
  /** `384-wide, 12 blocks, patch 16` in words. */
  architecture: string;
  approximateBytes: number;
  licence: string;
  /** ImageNet k-NN top-1 (%) as its authors report it. */
  imagenetKnn: number;
  goodFor: string;
  /** True when the catalogue pins its SHA-256 (else only the architecture is checked). */
  checksumPinned: boolean;
}

/** The catalogue and what this machine suggests: on a CPU, published weights first. */
export interface PublishedWeightsCatalogue {
  entries: PublishedWeightsSummary[];
  /** The key the UI preselects. */
  recommended: string;
  /** An NVIDIA GPU that TensorFlow.js can train on is installed (else training is the long road). */
  usableGpu: boolean;
  /** One sentence on why published weights are (or are not) the suggested first step here. */
  advice: string;
}

// ---------------------------------------------------------------- map, photo, duplicates

/** The layout in columns (one entry per photo, same order): compact for 100,000 photos. */
export interface MapPoints {
  imageIds: number[];
  x: number[];
  y: number[];
  /** -1 is the noise group. */
  cluster: number[];
}

export interface ClusterSummary {
  cluster: number;
  size: number;
  representatives: number[];
}

export interface MapData {
  modelId: number;
  points: MapPoints;
  clusters: ClusterSummary[];
  /** The embeddings changed since the map was computed: recompute to include new photos. */
  stale: boolean;
}

export interface Neighbor {
  imageId: number;
  similarity: number;
}

/** The last block's CLS attention of one photo, as data: the UI draws and toggles it without asking again. */
export interface AttentionData {
  imageId: number;
  modelId: number;
  /** Patch grid the heads are laid out on (row-major, `gridWidth × gridHeight` values per head). */
  gridWidth: number;
  gridHeight: number;
  /** Model input the grid covers, in pixels (the photo resized to it, no crop). */
  inputWidth: number;
  inputHeight: number;
  /** One array per head, each summing to 1 over the grid. */
  heads: number[][];
  /** Mean over heads. */
  mean: number[];
}

export interface DuplicateMember {
  imageId: number;
  width: number | null;
  height: number | null;
  size: number;
  /** Cosine similarity to the keeper (1 for exact copies). */
  similarity: number;
}

export interface DuplicateGroup {
  kind: 'exact' | 'near';
  keeperId: number;
  members: DuplicateMember[];
}

// ---------------------------------------------------------------- tags, filters, labelling

/**
 * Which photos a view, a tag operation or an export covers. Every field narrows (AND); a list
 * matches any of its entries (OR). The same filter gives the same photos on the map, in the grid
 * and in exports (`core/store/photo-filter.ts` decides).
 */
export interface PhotoFilter {
  /** Clusters of the model's map (−1 is the noise group). */
  clusters?: number[];
  /** Absolute folder paths: photos anywhere inside one of them. */
  folders?: string[];
  /** Formats as the scan decided them (jpeg, png, webp, tiff, gif, avif, heif). */
  formats?: string[];
  /** Photos carrying at least one of these tags. */
  tags?: string[];
  /** Only photos without any tag. */
  untagged?: boolean;
  /** Capture date range, ISO 8601 (inclusive; `2024-05` and `2024-05-01` both work); photos without a date are left out when either is set. */
  capturedFrom?: string;
  capturedTo?: string;
}

export interface TagSummary {
  id: number;
  name: string;
  /** Photos carrying it. */
  count: number;
}

/** A tag proposed for an untagged photo by its tagged neighbours (DINO's weighted k-NN vote). */
export interface TagSuggestion {
  imageId: number;
  tag: string;
  /** The suggestion's share of the neighbours' vote, 0–1: low = uncertain, reviewed first. */
  confidence: number;
  /** The next-best tag, offered when correcting. */
  runnerUp: string | null;
}

/** Per map point (same order as `MapPoints`), what colouring and filtering need. */
export interface MapFacts {
  /** Folder groups: a registered folder or its first-level subfolder (absolute paths). */
  folders: string[];
  /** Index into `folders` per point. */
  folder: number[];
  formats: string[];
  /** Index into `formats` per point (−1: unknown). */
  format: number[];
  /** Capture time as unix ms, or null when the photo has no date. */
  capturedAt: (number | null)[];
  tags: TagSummary[];
  /** Tag ids per point (empty when untagged). */
  pointTags: number[][];
}

export type LabelExportFormat = 'csv' | 'json' | 'imagefolder';

// ---------------------------------------------------------------- export

export type FeatureFormat = 'npy' | 'parquet' | 'csv';
export type ModelFormat = 'onnx' | 'safetensors';

// ---------------------------------------------------------------- the requests

export interface AppInfo {
  version: string;
  transport: 'electron' | 'web';
  libraryFile: string;
  /** Native open/save dialogs exist (Electron); the web mode asks for paths in a text field. */
  nativeDialogs: boolean;
}

/**
 * Every request: its name, the argument object it takes and the result it resolves to.
 * A request that starts long work returns its `JobInfo` at once; progress follows as events.
 */
export interface ApiRequests {
  'app.info': { args: Record<string, never>; result: AppInfo };

  'library.status': { args: Record<string, never>; result: LibraryStatus };
  /** Registers folders (absolute paths) and starts scanning them. */
  'library.addFolders': { args: { paths: string[] }; result: JobInfo };
  /** Rescans every registered folder (incremental). */
  'library.scan': { args: Record<string, never>; result: JobInfo };
  /**
   * A page of the library's photos by id. With a filter, only the readable photos it keeps (the
   * Library grid follows the map's filter); `modelId` is needed when it names clusters.
   */
  'library.images': {
    args: {
      offset: number;
      limit: number;
      status?: 'ok' | 'error' | 'missing';
      filter?: PhotoFilter;
      modelId?: number;
    };
    result: { total: number; items: ImageSummary[] };
  };
  'library.image': { args: { imageId: number }; result: ImageDetail };
  'library.errors': { args: Record<string, never>; result: ImageError[] };

  /** Native folder picker (Electron only); null when the person cancelled. */
  'dialog.chooseFolders': { args: Record<string, never>; result: string[] | null };
  /** Native open dialog for one file (Electron only); null when the person cancelled. */
  'dialog.chooseOpenFile': { args: { extensions: string[] }; result: string | null };
  /** Native save dialog (Electron only); null when the person cancelled. */
  'dialog.chooseSaveFile': {
    args: { suggestedName: string; extensions: string[] };
    result: string | null;
  };

  'training.presets': { args: Record<string, never>; result: TrainingPreset[] };
  'training.runs': { args: Record<string, never>; result: TrainingRunSummary[] };
  /** Steps logged so far by a run, oldest first (the charts' history before live events). */
  'training.metrics': { args: { runId: number }; result: TrainingMetric[] };
  'training.start': { args: TrainingOptions; result: JobInfo };
  /** Continues a stopped run (paused, cancelled, failed, or cut short by a crash) from its last checkpoint. */
  'training.resume': { args: { runId: number }; result: JobInfo };
  /** Saves a checkpoint and stops; `jobs.resume` continues it. */
  'training.pause': { args: { jobId: string }; result: JobInfo };

  'models.list': { args: Record<string, never>; result: ModelSummary[] };
  /** Published DINO weights on disk (`.pth` or `.safetensors`). */
  'models.importWeights': {
    /** `heads` only when the file's width is not 64 per head (the import error says so). */
    args: { path: string; name?: string; heads?: number };
    result: JobInfo;
  };

  'weights.catalogue': { args: Record<string, never>; result: PublishedWeightsCatalogue };
  /** Downloads a catalogue entry (resuming a partial download), checks and imports it as a model. */
  'weights.fetch': { args: { key: string; name?: string }; result: JobInfo };

  'embed.start': { args: { modelId: number }; result: JobInfo };
  'map.start': { args: { modelId: number }; result: JobInfo };
  /** null when the model has no map yet. */
  'map.get': { args: { modelId: number }; result: MapData | null };

  'photo.neighbors': { args: { imageId: number; modelId: number; k: number }; result: Neighbor[] };
  'photo.attention': { args: { imageId: number; modelId: number }; result: AttentionData };

  'duplicates.find': { args: { modelId: number; threshold: number }; result: DuplicateGroup[] };

  'export.features': {
    args: { modelId: number; format: FeatureFormat; path: string };
    result: JobInfo;
  };
  'export.model': { args: { modelId: number; format: ModelFormat; path: string }; result: JobInfo };
  /** Writes the chosen photos as CSV (id, path, cluster) so a person can use them elsewhere. */
  'export.selection': {
    args: { modelId: number; imageIds: number[]; path: string };
    result: { path: string; count: number };
  };

  /** Tags with their photo counts, by name. */
  'tags.list': { args: Record<string, never>; result: TagSummary[] };
  /** Tags photos (the tag is created when new); `accepted` records a confirmed suggestion. */
  'tags.add': {
    args: { name: string; imageIds: number[]; source?: 'manual' | 'accepted' };
    result: { tag: TagSummary; added: number };
  };
  'tags.remove': { args: { name: string; imageIds: number[] }; result: { removed: number } };
  'tags.rename': { args: { from: string; to: string }; result: TagSummary };
  /** Deletes a tag and takes it off every photo. */
  'tags.delete': { args: { name: string }; result: { removed: number } };
  /** Takes back the last tag operation; null when there was none. */
  'tags.undo': { args: Record<string, never>; result: { undone: string | null } };
  /** The review queue: suggestions for untagged photos, least confident first. */
  'tags.suggestions': {
    args: { modelId: number; limit: number };
    result: { tagged: number; total: number; suggestions: TagSuggestion[] };
  };
  /** What the map can be coloured and filtered by, per point. */
  'map.facts': { args: { modelId: number }; result: MapFacts };
  /** The photos a filter selects (ascending ids), the same for map, grid and exports. */
  'photos.filter': { args: { modelId: number; filter: PhotoFilter }; result: { imageIds: number[] } };
  /** The photos worth labelling: greedy k-center over the embeddings (see `dinoscope select`). */
  'select.photos': {
    args: { modelId: number; count: number; perCluster: boolean; filter?: PhotoFilter };
    result: { imageIds: number[]; exhausted: boolean; coverage: number | null };
  };
  /** Tags (and suggestions) of the given photos, or of the filter's, as CSV, JSON or an ImageFolder tree. */
  'export.labels': {
    args: {
      modelId: number;
      format: LabelExportFormat;
      path: string;
      imageIds?: number[];
      filter?: PhotoFilter;
      suggestions: boolean;
      copy?: boolean;
    };
    result: { path: string; photos: number; files: number };
  };

  'jobs.list': { args: Record<string, never>; result: JobInfo[] };
  'jobs.cancel': { args: { jobId: string }; result: JobInfo };
  /** Starts a new job that continues a failed, paused or cancelled one from what it saved. */
  'jobs.resume': { args: { jobId: string }; result: JobInfo };
}

export type ApiRequestName = keyof ApiRequests;
export type ApiArgs<K extends ApiRequestName> = ApiRequests[K]['args'];
export type ApiResult<K extends ApiRequestName> = ApiRequests[K]['result'];

/** How a request fails over either transport: what happened and what to do. */
export interface ApiErrorBody {
  error: string;
  hint?: string;
}

// ---------------------------------------------------------------- the events

export type ApiEvent =
  /** A job started, progressed, warned, or stopped. */
  | { type: 'job'; job: JobInfo }
  /** A training step, live. */
  | { type: 'training-metric'; jobId: string; runId: number | null; metric: TrainingMetric }
  /** Folders, images, models, embeddings or maps changed: views reload what they show. */
  | { type: 'library-changed'; what: 'folders' | 'images' | 'models' | 'embeddings' | 'map' };

/** Images the transports serve: a ~256 px thumbnail, or a screen-sized preview of the photo. */
export type MediaKind = 'thumbnail' | 'photo';

/** The one object the renderer holds (`window.dinoscope` in Electron, a fetch/WebSocket client in a browser). */
export interface DinoscopeBridge {
  readonly transport: 'electron' | 'web';
  invoke<K extends ApiRequestName>(name: K, args: ApiArgs<K>): Promise<ApiResult<K>>;
  /** Returns a function that unsubscribes. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** A URL an `<img>` can load. */
  mediaUrl(kind: MediaKind, imageId: number): string;
}
