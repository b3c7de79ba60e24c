import type { ApiArgs, ApiRequestName } from '../api.ts';

/**
 * Every argument that crosses a transport (IPC from a renderer, HTTP from a browser) is checked
 * here before the core sees it: the shape, the types, the ranges, and no unknown keys. A renderer
 * compromised by a malicious photo file name still cannot make the core do anything else.
 */
export class InvalidRequest extends Error {
  override readonly name = 'InvalidRequest';
}

type Check = (value: unknown, where: string) => unknown;

const integer =
  (min: number, max: number): Check =>
  (value, where) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidRequest(`${where} must be a whole number from ${min} to ${max}.`);
    }
    return value;
  };

const number =
  (min: number, max: number): Check =>
  (value, where) => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new InvalidRequest(`${where} must be a number from ${min} to ${max}.`);
    }
    return value;
  };

const text =
  (maxLength = 4096): Check =>
  (value, where) => {
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength || value.includes('\0')) {
      throw new InvalidRequest(`${where} must be a non-empty text of at most ${maxLength} characters.`);
    }
    return value;
  };

const oneOf =
  (...choices: (string | number)[]): Check =>
  (value, where) => {
    if (!choices.includes(value as string | number)) {
      throw new InvalidRequest(`${where} must be one of ${choices.join(', ')}.`);
    }
    return value;
  };

const list =
  (item: Check, maxItems: number, minItems = 0): Check =>
  (value, where) => {
    if (!Array.isArray(value) || value.length > maxItems || value.length < minItems) {
      throw new InvalidRequest(`${where} must be a list of ${minItems} to ${maxItems} items.`);
    }
    return value.map((entry, i) => item(entry, `${where}[${i}]`));
  };

const optional = (check: Check): Check & { optional: true } =>
  Object.assign((value: unknown, where: string) => (value === undefined ? undefined : check(value, where)), {
    optional: true as const,
  });

const object =
  (fields: Record<string, Check>): Check =>
  (value, where) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidRequest(`${where} must be an object.`);
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in fields)) throw new InvalidRequest(`${where} has an unknown field "${key}".`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(fields)) {
      if (record[key] === undefined && !('optional' in check)) {
        throw new InvalidRequest(`${where}.${key} is missing.`);
      }
      const checked = check(record[key], `${where}.${key}`);
      if (checked !== undefined) out[key] = checked;
    }
    return out;
  };

const none = object({});
const id = integer(1, Number.MAX_SAFE_INTEGER);
const jobId = text(64);
/** Paths are absolute, as a folder picker or a save dialog gives them. */
const absolutePath: Check = (value, where) => {
  const path = text()(value, where) as string;
  if (!/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path)) {
    throw new InvalidRequest(`${where} must be an absolute path (e.g. /home/me/Photos), not "${path}".`);
  }
  return path;
};

const boolean: Check = (value, where) => {
  if (typeof value !== 'boolean') throw new InvalidRequest(`${where} must be true or false.`);
  return value;
};
const tagName = text(100);
/** ISO 8601 dates as a timeline brush gives them (`2024`, `2024-05`, `2024-05-01T10:00:00`). */
const isoDate: Check = (value, where) => {
  const date = text(40)(value, where) as string;
  if (!/^\d{4}(-\d{2}(-\d{2}([T ][\d:.]+)?)?)?$/.test(date))
    throw new InvalidRequest(`${where} must be an ISO date such as 2024-05-01, not "${date}".`);
  return date;
};
const photoFilter = object({
  clusters: optional(list(integer(-1, 1_000_000), 10_000)),
  folders: optional(list(absolutePath, 1000)),
  formats: optional(list(text(16), 20)),
  tags: optional(list(tagName, 1000)),
  untagged: optional(boolean),
  capturedFrom: optional(isoDate),
  capturedTo: optional(isoDate),
});

const schemas: { [K in ApiRequestName]: Check } = {
  'app.info': none,
  'library.status': none,
  'library.addFolders': object({ paths: list(absolutePath, 100, 1) }),
  'library.scan': none,
  'library.images': object({
    offset: integer(0, 100_000_000),
    limit: integer(1, 5000),
    status: optional(oneOf('ok', 'error', 'missing')),
    filter: optional(photoFilter),
    modelId: optional(id),
  }),
  'library.image': object({ imageId: id }),
  'library.errors': none,
  'dialog.chooseFolders': none,
  'dialog.chooseOpenFile': object({ extensions: list(text(16), 10) }),
  'dialog.chooseSaveFile': object({
    suggestedName: text(255),
    extensions: list(text(16), 10),
  }),
  'training.presets': none,
  'training.runs': none,
  'training.metrics': object({ runId: id }),
  'training.start': object({
    preset: optional(text(64)),
    arch: optional(oneOf('vit_tiny', 'vit_small', 'vit_base')),
    patchSize: optional(oneOf(16, 8)),
    epochs: optional(integer(1, 10_000)),
    batchSize: optional(integer(1, 4096)),
    fromModel: optional(id),
  }),
  'training.pause': object({ jobId }),
  'training.resume': object({ runId: id }),
  'models.list': none,
  'models.importWeights': object({
    path: absolutePath,
    name: optional(text(200)),
    heads: optional(integer(1, 64)),
  }),
  'weights.catalogue': none,
  'weights.fetch': object({ key: text(64), name: optional(text(200)) }),
  'embed.start': object({ modelId: id }),
  'map.start': object({ modelId: id }),
  'map.get': object({ modelId: id }),
  'photo.neighbors': object({ imageId: id, modelId: id, k: integer(1, 500) }),
  'photo.attention': object({ imageId: id, modelId: id }),
  'duplicates.find': object({ modelId: id, threshold: number(0.5, 1) }),
  'export.features': object({ modelId: id, format: oneOf('npy', 'parquet', 'csv'), path: absolutePath }),
  'export.model': object({ modelId: id, format: oneOf('onnx', 'safetensors'), path: absolutePath }),
  'export.selection': object({ modelId: id, imageIds: list(id, 1_000_000, 1), path: absolutePath }),
  'tags.list': none,
  'tags.add': object({
    name: tagName,
    imageIds: list(id, 1_000_000, 1),
    source: optional(oneOf('manual', 'accepted')),
  }),
  'tags.remove': object({ name: tagName, imageIds: list(id, 1_000_000, 1) }),
  'tags.rename': object({ from: tagName, to: tagName }),
  'tags.delete': object({ name: tagName }),
  'tags.undo': none,
  'tags.suggestions': object({ modelId: id, limit: integer(1, 1_000_000) }),
  'map.facts': object({ modelId: id }),
  'photos.filter': object({ modelId: id, filter: photoFilter }),
  'select.photos': object({
    modelId: id,
    count: integer(1, 100_000),
    perCluster: boolean,
    filter: optional(photoFilter),
  }),
  'export.labels': object({
    modelId: id,
    format: oneOf('csv', 'json', 'imagefolder'),
    path: absolutePath,
    imageIds: optional(list(id, 1_000_000, 1)),
    filter: optional(photoFilter),
    suggestions: boolean,
    copy: optional(boolean),
  }),
  'jobs.list': none,
  'jobs.cancel': object({ jobId }),
  'jobs.resume': object({ jobId }),
};

export function isRequestName(name: unknown): name is ApiRequestName {
  return typeof name === 'string' && Object.hasOwn(schemas, name);
}

/** The arguments, checked and stripped to what the request declares; throws `InvalidRequest`. */
export function validateRequest<K extends ApiRequestName>(name: K, args: unknown): ApiArgs<K> {
  if (!isRequestName(name)) throw new InvalidRequest(`Unknown request "${String(name)}".`);
  return schemas[name](args ?? {}, name) as ApiArgs<K>;
}
