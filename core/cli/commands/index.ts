import type { Command } from 'commander';
import * as add from './add.ts';
import * as attention from './attention.ts';
import * as augmentPreview from './augment-preview.ts';
import * as doctor from './doctor.ts';
import * as duplicates from './duplicates.ts';
import * as embed from './embed.ts';
import * as errors from './errors.ts';
import * as evaluate from './eval.ts';
import * as exportFeatures from './export.ts';
import * as exportModel from './export-model.ts';
import * as importWeights from './import-weights.ts';
import * as map from './map.ts';
import * as models from './models.ts';
import * as neighbors from './neighbors.ts';
import * as runs from './runs.ts';
import * as scan from './scan.ts';
import * as select from './select.ts';
import * as serve from './serve.ts';
import * as status from './status.ts';
import * as tag from './tag.ts';
import * as train from './train.ts';
import * as version from './version.ts';
import * as weights from './weights.ts';

/** A command module: `register` adds its command (or option) to the program. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command of `dinoscope`, in the order `--help` lists them. A static list, not a folder
 * read at run time, so that the engine bundle (`npm run build:engine`) holds each command: a new
 * command is one import and one entry here.
 */
export const commands: readonly CommandModule[] = [
  add,
  attention,
  augmentPreview,
  doctor,
  duplicates,
  embed,
  errors,
  evaluate,
  exportModel,
  exportFeatures,
  importWeights,
  map,
  models,
  neighbors,
  runs,
  scan,
  select,
  serve,
  status,
  tag,
  train,
  version,
  weights,
];
