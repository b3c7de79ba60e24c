import { existsSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import packageJson from '../../package.json' with { type: 'json' };
import type { DuplicateReport } from '../analysis/duplicates.ts';
import { releaseEmbeddingIndexes } from '../analysis/embedding-index.ts';
import { nearestToImage } from '../analysis/neighbors.ts';
import { suggestTags, type TagSuggestions } from '../analysis/tag-suggestions.ts';
import type {
  ApiArgs,
  ApiEvent,
  ApiRequestName,
  ApiResult,
  JobInfo,
  MediaKind,
  ModelSummary,
  PhotoFilter,
  TrainingMetric,
  TrainingRunSummary,
} from '../api.ts';
import type { CliLauncher } from '../jobs/cli-process.ts';
import { JobRunner } from '../jobs/job-runner.ts';
import { folderStatuses, listErrors } from '../library/library-status.ts';
import { readThumbnail } from '../library/training-copy.ts';
import { describeVit } from '../model/vit-config.ts';
import { type Db, openDatabase } from '../store/database.ts';
import { embeddingsFingerprint } from '../store/embeddings.ts';
import { listFolders } from '../store/folders.ts';
import { getImage } from '../store/images.ts';
import { getModel, listModels } from '../store/models.ts';
import { filterPhotos, isEmptyFilter } from '../store/photo-filter.ts';
import { getRun, listRuns, modelIdOfRun } from '../store/runs.ts';
import { addTag, deleteTag, listTags, removeTag, renameTag, undoLastTagOperation } from '../store/tags.ts';
import { TRAINING_PRESETS } from '../training/presets.ts';
import { readRunLog } from '../training/run-log.ts';
import { findPublishedWeights } from '../weights/published-weights.ts';
import { hasUsableGpu, weightsCatalogue } from '../weights/weights-catalogue-view.ts';
import { ApiFailure } from './api-failure.ts';
import { mapFacts } from './map-facts.ts';
import { MapQueries } from './map-queries.ts';
import { PhotoPreviews } from './photo-previews.ts';

export interface NativeDialogs {
  chooseFolders(): Promise<string[] | null>;
  chooseOpenFile(extensions: string[]): Promise<string | null>;
  chooseSaveFile(suggestedName: string, extensions: string[]): Promise<string | null>;
}

export interface ServiceOptions {
  libraryFile: string;
  launcher: CliLauncher;
  transport: 'electron' | 'web';
  /** Electron's open/save dialogs; the web mode has none and asks for paths in text fields. */
  dialogs?: NativeDialogs;
}

export type ApiHandlers = {
  [K in ApiRequestName]: (args: ApiArgs<K>) => Promise<ApiResult<K>> | ApiResult<K>;
};

export interface Media {
  bytes: Buffer;
  mime: string;
}

/**
 * The core behind the contract: one handler per request of `core/api.ts`, used by both transports
 * (Electron IPC and the web server). Quick reads run here; long work runs as background CLI jobs.
 */
export class DinoscopeService {
  readonly jobs: JobRunner;
  readonly handlers: ApiHandlers;
  private readonly db: Db;
  private readonly previews = new PhotoPreviews();
  private readonly maps: MapQueries;
  /** Probed once, on the first catalogue request (it runs nvidia-smi). */
  private usableGpu: boolean | undefined;
  /** The last suggestions per model, reused while neither the embeddings nor the tags change. */
  private readonly suggestions = new Map<number, { key: string; result: Promise<TagSuggestions> }>();

  constructor(private readonly options: ServiceOptions) {
    this.db = openDatabase(options.libraryFile);
    this.jobs = new JobRunner(options.launcher);
    this.maps = new MapQueries(this.db);
    this.handlers = this.createHandlers();
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.jobs.onEvent(listener);
  }

  async handle<K extends ApiRequestName>(name: K, args: ApiArgs<K>): Promise<ApiResult<K>> {
    const handler = this.handlers[name] as (args: ApiArgs<K>) => Promise<ApiResult<K>> | ApiResult<K>;
    return handler(args);
  }

  /**
   * A thumbnail or a screen-sized preview of a photo that is in the library, or null (→ 404).
   * Only ids are accepted, never paths, so nothing outside the library can be reached; a photo
   * whose recorded path is not inside one of its registered folders is refused as well.
   */
  async media(kind: MediaKind, imageId: number): Promise<Media | null> {
    if (!Number.isSafeInteger(imageId) || imageId < 1) return null;
    if (kind === 'thumbnail') {
      const thumbnail = readThumbnail(this.db, imageId);
      return thumbnail ? { bytes: thumbnail.bytes, mime: thumbnail.mime } : null;
    }
    const image = getImage(this.db, imageId);
    if (image?.status !== 'ok') return null;
    const folders = listFolders(this.db);
    if (!folders.some((folder) => isInside(folder.path, image.path))) return null;
    try {
      return await this.previews.preview(image.path, image.mtimeMs);
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.jobs.stopAll();
    await releaseEmbeddingIndexes(this.db);
    this.db.close();
  }

  private startJob(spec: Parameters<JobRunner['start']>[0]): JobInfo {
    const sameKind = this.jobs.active(spec.kind);
    if (sameKind.length > 0 && spec.kind !== 'export-features' && spec.kind !== 'export-model') {
      throw new ApiFailure(
        `"${sameKind[0].title}" is already running.`,
        'Wait for it to finish, or cancel it first.',
      );
    }
    return this.jobs.start(spec);
  }

  /** Runs a job and waits for its answer (for requests whose result the UI awaits, e.g. duplicates). */
  private runForResult(spec: Parameters<JobRunner['start']>[0]): Promise<unknown> {
    const started = this.jobs.start(spec);
    return new Promise((resolve, reject) => {
      const settle = (job: JobInfo) => {
        if (job.id !== started.id || job.status === 'running') return;
        if (job.status === 'pausing' || job.status === 'cancelling') return;
        unsubscribe();
        if (job.status === 'succeeded') resolve(job.result);
        else if (job.failure) reject(new ApiFailure(job.failure.message, job.failure.hint));
        else reject(new ApiFailure(`${job.title} was ${job.status}.`));
      };
      const unsubscribe = this.jobs.onEvent((event) => {
        if (event.type === 'job') settle(event.job);
      });
    });
  }

  private modelSummaries(): ModelSummary[] {
    const counts = new Map(
      (
        this.db.prepare('SELECT model_id AS id, count(*) AS n FROM embeddings GROUP BY model_id').all() as {
          id: number;
          n: number;
        }[]
      ).map((row) => [row.id, row.n]),
    );
    return listModels(this.db).map((model) => ({
      id: model.id,
      name: model.name,
      source: model.source,
      architecture: describeVit(model.config),
      embedDim: model.config.embedDim,
      numHeads: model.config.numHeads,
      patchSize: model.config.patchSize,
      hasOnnx: model.onnxPath !== null,
      embeddedCount: counts.get(model.id) ?? 0,
      hasMap: this.maps.hasFreshMap(model.id, embeddingsFingerprint(this.db, model.id)),
      createdAt: model.createdAt,
    }));
  }

  private requireModel(modelId: number) {
    try {
      return getModel(this.db, modelId);
    } catch (error) {
      throw new ApiFailure(
        (error as Error).message,
        'Choose another model, or train or import one in the Training view.',
      );
    }
  }

  private createHandlers(): ApiHandlers {
    const db = this.db;
    return {
      'app.info': () => ({
        version: packageJson.version,
        transport: this.options.transport,
        libraryFile: this.options.libraryFile,
        nativeDialogs: this.options.dialogs !== undefined,
      }),

      'library.status': () => {
        const status = folderStatuses(db);
        return {
          libraryFile: this.options.libraryFile,
          folders: status.folders.map((folder) => ({
            id: folder.id,
            path: folder.path,
            imageCount: folder.ok + folder.error, // files present now; missing ones are listed apart
            lastScanFinishedAt: folder.lastScanFinishedAt,
          })),
          counts: status.counts,
          models: this.modelSummaries(),
        };
      },

      'library.addFolders': ({ paths }) => {
        for (const path of paths) {
          if (!existsSync(path)) {
            throw new ApiFailure(`The folder ${path} does not exist.`, 'Check the path and try again.');
          }
          if (!statSync(path).isDirectory()) {
            throw new ApiFailure(
              `${path} is a file, not a folder.`,
              'Choose the folder that holds the photos.',
            );
          }
        }
        const title = paths.length === 1 ? `Adding ${paths[0]}` : `Adding ${paths.length} folders`;
        return this.startJob({ kind: 'scan', title, args: ['add', ...paths], resumeArgs: ['scan'] });
      },

      'library.scan': () =>
        this.startJob({ kind: 'scan', title: 'Scanning the library', args: ['scan'], resumeArgs: ['scan'] }),

      'library.images': ({ offset, limit, status, filter, modelId }) => {
        if (filter && !isEmptyFilter(filter)) {
          // The filter keeps readable photos only; the same ids as the map's and the exports'.
          const kept = status && status !== 'ok' ? [] : filterPhotos(db, filter, { modelId });
          const page = kept.slice(offset, offset + limit);
          const items =
            page.length === 0
              ? []
              : (db
                  .prepare(
                    `SELECT i.id, i.rel_path AS relPath, f.path AS folderPath, i.width, i.height, i.status
                     FROM images i JOIN folders f ON f.id = i.folder_id
                     WHERE i.id IN (SELECT value FROM json_each(?)) ORDER BY i.id`,
                  )
                  .all(JSON.stringify(page)) as ApiResult<'library.images'>['items']);
          return { total: kept.length, items };
        }
        const where = status ? 'WHERE i.status = ?' : '';
        const params = status ? [status] : [];
        const total = (
          db.prepare(`SELECT count(*) AS n FROM images i ${where}`).get(...params) as { n: number }
        ).n;
        const items = db
          .prepare(
            `SELECT i.id, i.rel_path AS relPath, f.path AS folderPath, i.width, i.height, i.status
             FROM images i JOIN folders f ON f.id = i.folder_id ${where} ORDER BY i.id LIMIT ? OFFSET ?`,
          )
          .all(...params, limit, offset) as ApiResult<'library.images'>['items'];
        return { total, items };
      },

      'library.image': ({ imageId }) => {
        const row = db
          .prepare(
            `SELECT i.id, i.path, i.rel_path AS relPath, f.path AS folderPath, i.width, i.height, i.status,
               i.size, i.format, i.captured_at AS capturedAt, i.error
             FROM images i JOIN folders f ON f.id = i.folder_id WHERE i.id = ?`,
          )
          .get(imageId) as Omit<ApiResult<'library.image'>, 'tags'> | undefined;
        if (!row) throw new ApiFailure(`No photo with id ${imageId} in the library.`, 'Rescan the library.');
        const tags = db
          .prepare(
            `SELECT t.name FROM image_tags it JOIN tags t ON t.id = it.tag_id WHERE it.image_id = ? ORDER BY t.name COLLATE NOCASE`,
          )
          .all(imageId) as { name: string }[];
        return { ...row, tags: tags.map((t) => t.name) };
      },

      'library.errors': () => listErrors(db).map(({ id, path, reason }) => ({ id, path, reason })),

      'dialog.chooseFolders': () => this.requireDialogs().chooseFolders(),
      'dialog.chooseOpenFile': ({ extensions }) => this.requireDialogs().chooseOpenFile(extensions),
      'dialog.chooseSaveFile': ({ suggestedName, extensions }) =>
        this.requireDialogs().chooseSaveFile(suggestedName, extensions),

      'training.presets': () =>
        Object.entries(TRAINING_PRESETS).map(([name, preset]) => {
          const settings = preset.settings as Partial<Record<string, unknown>>;
          return {
            name,
            description: preset.description,
            arch: (settings.arch as string | undefined) ?? 'vit_small',
            patchSize: (settings.patchSize as number | undefined) ?? 16,
            epochs: (settings.epochs as number | undefined) ?? 100,
            batchSize: (settings.batchSize as number | undefined) ?? 64,
          };
        }),

      'training.runs': () => trainingRuns(db),
      'training.metrics': ({ runId }) => trainingMetrics(db, runId),

      'training.start': (options) => {
        const args = ['train'];
        if (options.preset) args.push('--preset', options.preset);
        if (options.arch) args.push('--arch', options.arch);
        if (options.patchSize) args.push('--patch', String(options.patchSize));
        if (options.epochs) args.push('--epochs', String(options.epochs));
        if (options.batchSize) args.push('--batch', String(options.batchSize));
        if (options.fromModel) args.push('--from-model', String(options.fromModel));
        const what = [
          options.fromModel && `adapting model ${options.fromModel}`,
          options.preset && `${options.preset} preset`,
          options.arch,
          options.epochs && `${options.epochs} epoch${options.epochs === 1 ? '' : 's'}`,
        ]
          .filter(Boolean)
          .join(', ');
        return this.startJob({
          kind: 'train',
          title: `Training${what ? ` (${what})` : ''}`,
          args,
          resumeArgs: ['train', '--resume'],
          cancelBy: 'terminate',
        });
      },

      'training.pause': ({ jobId }) => this.jobs.pause(jobId),

      'training.resume': ({ runId }) =>
        this.startJob({
          kind: 'train',
          title: `Training run ${runId} (resumed)`,
          args: ['train', '--resume', String(runId)],
          resumeArgs: ['train', '--resume', String(runId)],
          cancelBy: 'terminate',
        }),

      'models.list': () => this.modelSummaries(),

      'models.importWeights': ({ path, name, heads }) => {
        if (!existsSync(path))
          throw new ApiFailure(`${path} does not exist.`, 'Check the path and try again.');
        return this.startJob({
          kind: 'import-weights',
          title: `Importing ${path.split(/[\\/]/).pop()}`,
          args: [
            'import-weights',
            path,
            ...(name ? ['--name', name] : []),
            ...(heads ? ['--heads', String(heads)] : []),
          ],
          resumeArgs: null,
        });
      },

      'weights.catalogue': () => {
        this.usableGpu ??= hasUsableGpu();
        return weightsCatalogue(this.usableGpu);
      },

      'weights.fetch': ({ key, name }) => {
        const entry = findPublishedWeights(key);
        if (!entry) {
          throw new ApiFailure(`No published weights named "${key}".`, 'Choose one from the list.');
        }
        const args = ['weights', 'fetch', entry.key, ...(name ? ['--name', name] : [])];
        return this.startJob({
          kind: 'fetch-weights',
          title: `Fetching ${entry.title}`,
          args,
          // The download resumes from its .partial file (HTTP Range).
          resumeArgs: args,
        });
      },

      'embed.start': ({ modelId }) => {
        const model = this.requireModel(modelId);
        const args = ['embed', '--model', String(modelId)];
        return this.startJob({
          kind: 'embed',
          title: `Embedding photos with ${model.name}`,
          args,
          resumeArgs: args,
        });
      },

      'map.start': ({ modelId }) => {
        const model = this.requireModel(modelId);
        const args = ['map', '--model', String(modelId)];
        return this.startJob({
          kind: 'map',
          title: `Mapping photos of ${model.name}`,
          args,
          resumeArgs: args,
        });
      },

      'map.get': ({ modelId }) => this.maps.map(modelId, embeddingsFingerprint(db, modelId)),

      'photo.neighbors': async ({ imageId, modelId, k }) => {
        this.requireModel(modelId);
        const found = await nearestToImage(db, modelId, imageId, k);
        if (!found) {
          throw new ApiFailure(
            `Photo ${imageId} has no embedding for this model yet.`,
            'Compute the embeddings (Training view → Embed photos), then try again.',
          );
        }
        return Array.from(found.imageIds, (id, i) => ({ imageId: id, similarity: found.similarities[i] }));
      },

      'photo.attention': async ({ imageId, modelId }) => {
        this.requireModel(modelId);
        const { computeAttention } = await import('../analysis/attention-map.ts');
        let maps: Awaited<ReturnType<typeof computeAttention>>;
        try {
          maps = await computeAttention(db, this.options.libraryFile, imageId, { model: modelId });
        } catch (error) {
          throw new ApiFailure(
            `Could not compute the attention of photo ${imageId}: ${(error as Error).message}`,
            'Check that the photo file is still there; rescan the library if it moved.',
          );
        }
        return {
          imageId,
          modelId,
          gridWidth: maps.gridWidth,
          gridHeight: maps.gridHeight,
          inputWidth: maps.inputWidth,
          inputHeight: maps.inputHeight,
          heads: maps.heads.map((head) => Array.from(head)),
          mean: Array.from(maps.mean),
        };
      },

      'duplicates.find': async ({ modelId, threshold }) => {
        this.requireModel(modelId);
        const result = await this.runForResult({
          kind: 'duplicates',
          title: 'Looking for duplicates',
          args: ['duplicates', '--model', String(modelId), '--threshold', String(threshold), '--json'],
          resumeArgs: null,
        });
        // The CLI prints `findDuplicates`'s report (core/analysis/duplicates.ts); the contract keeps the groups.
        const report = result as Pick<DuplicateReport, 'groups'> | null;
        return (report?.groups ?? []).map((group) => ({
          kind: group.kind,
          keeperId: group.keeperId,
          members: group.members.map((member) => ({
            imageId: member.imageId,
            width: member.width,
            height: member.height,
            size: member.size,
            similarity: member.similarity,
          })),
        }));
      },

      'export.features': ({ modelId, format, path }) => {
        this.requireModel(modelId);
        return this.startJob({
          kind: 'export-features',
          title: `Exporting features to ${path.split(/[\\/]/).pop()}`,
          args: ['export', '--model', String(modelId), '--format', format, '-o', path],
          resumeArgs: null,
        });
      },

      'export.model': ({ modelId, format, path }) => {
        this.requireModel(modelId);
        return this.startJob({
          kind: 'export-model',
          title: `Exporting the model to ${path.split(/[\\/]/).pop()}`,
          args: ['export-model', '--model', String(modelId), '--format', format, '-o', path],
          resumeArgs: null,
        });
      },

      'export.selection': ({ modelId, imageIds, path }) => {
        const clusters = this.maps.clustersOf(modelId);
        const lookup = db.prepare('SELECT path FROM images WHERE id = ?');
        const lines = ['image_id,path,cluster'];
        for (const imageId of imageIds) {
          const row = lookup.get(imageId) as { path: string } | undefined;
          if (!row) continue;
          lines.push(`${imageId},${csvField(row.path)},${clusters.get(imageId) ?? ''}`);
        }
        try {
          writeFileSync(path, `${lines.join('\n')}\n`);
        } catch (error) {
          throw new ApiFailure(
            `Could not write ${path}: ${(error as Error).message}`,
            'Choose a folder you can write to.',
          );
        }
        return { path, count: lines.length - 1 };
      },

      'tags.list': () => listTags(db).map(({ id, name, count }) => ({ id, name, count })),
      'tags.add': ({ name, imageIds, source }) =>
        tagFailure(() => {
          const { tag, added } = addTag(db, name, imageIds, source ?? 'manual');
          return { tag: { id: tag.id, name: tag.name, count: tag.count }, added };
        }),
      'tags.remove': ({ name, imageIds }) => tagFailure(() => removeTag(db, name, imageIds)),
      'tags.rename': ({ from, to }) =>
        tagFailure(() => {
          const tag = renameTag(db, from, to);
          return { id: tag.id, name: tag.name, count: tag.count };
        }),
      'tags.delete': ({ name }) => tagFailure(() => deleteTag(db, name)),
      'tags.undo': () => tagFailure(() => ({ undone: undoLastTagOperation(db)?.description ?? null })),

      'tags.suggestions': async ({ modelId, limit }) => {
        this.requireModel(modelId);
        const result = await this.tagSuggestions(modelId);
        return {
          tagged: result.tagged,
          total: result.suggestions.length,
          suggestions: result.suggestions.slice(0, limit),
        };
      },

      'map.facts': ({ modelId }) => {
        const map = this.maps.map(modelId, embeddingsFingerprint(db, modelId));
        return mapFacts(db, map?.points.imageIds ?? []);
      },

      'photos.filter': ({ modelId, filter }) => ({ imageIds: filterPhotos(db, filter, { modelId }) }),

      'select.photos': async ({ modelId, count, perCluster, filter }) => {
        this.requireModel(modelId);
        const { selectPhotos } = await import('../analysis/photo-selection.ts');
        const selection = await selectPhotos(db, { model: modelId, count, perCluster, filter });
        return { imageIds: selection.imageIds, exhausted: selection.exhausted, coverage: selection.coverage };
      },

      'export.labels': async ({ modelId, format, path, imageIds, filter, suggestions, copy }) => {
        const model = this.requireModel(modelId);
        const { exportLabels } = await import('../export/label-export.ts');
        const suggested = suggestions ? (await this.tagSuggestions(modelId)).suggestions : undefined;
        try {
          const result = exportLabels(db, {
            format,
            output: path,
            imageIds: this.photosOf(modelId, imageIds, filter),
            suggestions: suggested,
            copy,
            model: { id: model.id, name: model.name },
          });
          return { path: result.output, photos: result.photos, files: result.files };
        } catch (error) {
          throw new ApiFailure((error as Error).message, 'Choose another path, or a new empty folder.');
        }
      },

      'jobs.list': () => this.jobs.list(),
      'jobs.cancel': ({ jobId }) => this.jobs.cancel(jobId),
      'jobs.resume': ({ jobId }) => this.jobs.resume(jobId),
    };
  }

  /** Suggestions for a model, computed again only when its embeddings or any tag changed. */
  private tagSuggestions(modelId: number): Promise<TagSuggestions> {
    const tags = this.db
      .prepare(
        'SELECT count(*) AS n, total(image_id * 31 + tag_id) AS sum, max(created_at) AS last FROM image_tags',
      )
      .get() as { n: number; sum: number; last: number | null };
    const names = listTags(this.db)
      .map((t) => `${t.id}:${t.name}`)
      .join('|');
    const key = `${embeddingsFingerprint(this.db, modelId)}/${tags.n}:${tags.sum}:${tags.last}/${names}`;
    const cached = this.suggestions.get(modelId);
    if (cached?.key === key) return cached.result;
    const result = suggestTags(this.db, { model: modelId });
    result.catch(() => this.suggestions.delete(modelId));
    this.suggestions.set(modelId, { key, result });
    return result;
  }

  /** The photos a request names: its ids (inside the filter, when both are given), else the filter's. */
  private photosOf(
    modelId: number,
    imageIds: number[] | undefined,
    filter: PhotoFilter | undefined,
  ): number[] {
    const filtered = filter && !isEmptyFilter(filter) ? filterPhotos(this.db, filter, { modelId }) : null;
    if (!imageIds) {
      return (
        filtered ??
        (
          this.db.prepare("SELECT id FROM images WHERE status = 'ok' ORDER BY id").all() as { id: number }[]
        ).map((row) => row.id)
      );
    }
    if (!filtered) return imageIds;
    const inside = new Set(filtered);
    return imageIds.filter((id) => inside.has(id));
  }

  private requireDialogs(): NativeDialogs {
    if (!this.options.dialogs) {
      throw new ApiFailure('This window has no file dialogs.', 'Type the path in the field instead.');
    }
    return this.options.dialogs;
  }
}

export function isInside(folder: string, file: string): boolean {
  const rel = relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** A tag store refusal (unknown tag, bad name, clash) as a failure the UI shows with what to do. */
function tagFailure<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new ApiFailure((error as Error).message, 'Check the tag name and try again.');
  }
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function trainingRuns(db: Db): TrainingRunSummary[] {
  return listRuns(db)
    .reverse()
    .map((run) => ({
      id: run.id,
      status: run.status,
      arch: `${run.config.arch ?? '?'}/${run.config.patchSize ?? '?'}`,
      epochs: typeof run.config.epochs === 'number' ? run.config.epochs : null,
      epoch: run.epoch,
      step: run.step,
      message: run.message,
      startedAt: run.startedAt,
      updatedAt: run.updatedAt,
      modelId: modelIdOfRun(db, run.id),
    }));
}

/** The steps a run logged (`steps.jsonl` beside its checkpoints), thinned to at most 2,000 points. */
function trainingMetrics(db: Db, runId: number): TrainingMetric[] {
  const metrics = readRunLog(getRun(db, runId).dir).map((record) => ({
    step: record.step,
    epoch: record.epoch,
    loss: record.loss,
    lr: record.lr,
    teacherEntropy: record.teacherEntropy,
    imagesPerSecond: record.imagesPerSecond,
    viewRetrieval: record.health?.viewRetrieval ?? null,
    effectiveRank: record.health?.effectiveRank ?? null,
    knnTop1: record.health?.knnTop1 ?? null,
  }));
  const stride = Math.ceil(metrics.length / 2000);
  // Thinned for the loss charts; every feature-health measurement is kept (they are few).
  return stride > 1
    ? metrics.filter((m, i) => i % stride === 0 || i === metrics.length - 1 || m.effectiveRank !== null)
    : metrics;
}
