import { existsSync } from 'node:fs';
import type { NamedTensors } from '../engine/host-tensor.ts';
import { listTrainableImages } from '../library/training-copy.ts';
import { VIT_ARCHS, type VitConfig, vitConfig } from '../model/vit-config.ts';
import type { Db } from '../store/database.ts';
import { resolveModel } from '../store/models.ts';
import { getRun, latestUnfinishedRun, listCheckpoints } from '../store/runs.ts';
import {
  isDinoscopeCheckpoint,
  type LoadedCheckpoint,
  latestCheckpointFile,
  readCheckpoint,
} from './checkpoint.ts';
import {
  backboneConfig,
  DEFAULT_TRAINING_CONFIG,
  resolveTrainingConfig,
  type TrainingConfig,
} from './config.ts';
import { ADAPTATION, presetForBackend, type TrainingPresetName, trainingPreset } from './presets.ts';

export interface TrainingPlan {
  config: TrainingConfig;
  /** The images the run trains on (library ids, fixed for the whole run so that resume replays it). */
  imageIds: number[];
  /** Continue this run from this checkpoint, or start a new run. */
  resume: { runId: number; checkpoint: LoadedCheckpoint } | null;
  /** Starting weights for a new run (published weights or another run's checkpoint); null = random. */
  initialWeights: InitialWeights | null;
}

export interface InitialWeights {
  description: string;
  student: { backbone: NamedTensors; head: NamedTensors | null };
  teacher: { backbone: NamedTensors; head: NamedTensors | null };
}

/** What a person asked for: `dinoscope train` flags, or the UI's training options. */
export interface TrainingRequest {
  preset?: string;
  /** Settings given explicitly (flags); they win over the preset. */
  settings: Partial<TrainingConfig>;
  /** Published DINO weights (any format `importWeights` reads) or one of our checkpoints. */
  fromCheckpoint?: string;
  /** A library model (id or name) to adapt: its backbone starts student and teacher. */
  fromModel?: number | string;
  /** Continue a run: its id, or 'latest' for the newest unfinished one. */
  resume?: number | 'latest';
  /** The compute backend's kind, to pick a preset when none is named. */
  backendKind: string;
  /** The GPU backend runs on a software adapter (WebGPU's lavapipe, SwiftShader): the CPU preset fits it. */
  softwareAdapter?: boolean;
}

export interface ResolvedTraining {
  plan: TrainingPlan;
  /** The preset used (null when resuming: the run's own config applies). */
  preset: TrainingPresetName | string | null;
  /** Settings that differ from the reference defaults because of the preset, flags or weights. */
  changed: Set<string>;
  notes: string[];
}

export async function resolveTraining(db: Db, request: TrainingRequest): Promise<ResolvedTraining> {
  const imageIds = listTrainableImages(db).map((image) => image.id);
  if (request.resume !== undefined) return resolveResume(db, request, imageIds);
  if (imageIds.length === 0) {
    throw new Error(
      'The library has no trainable images yet: `dinoscope add FOLDER` then `dinoscope scan`, and train again.',
    );
  }
  const notes: string[] = [];
  const presetName =
    request.preset ?? presetForBackend(request.backendKind, { softwareAdapter: request.softwareAdapter });
  if (!request.preset) {
    notes.push(
      request.softwareAdapter
        ? `Preset "${presetName}" chosen: the ${request.backendKind} backend runs on a software adapter, which computes on the CPU and is slower than the CPU backends (--preset to choose).`
        : `Preset "${presetName}" chosen for the ${request.backendKind} backend (--preset to choose).`,
    );
  }
  const preset = trainingPreset(presetName);
  let initialWeights: InitialWeights | null = null;
  let fromWeights: Partial<TrainingConfig> = {};
  if (request.fromCheckpoint && request.fromModel !== undefined)
    throw new Error('Give --from-checkpoint or --from-model, not both.');
  let source = request.fromCheckpoint;
  let heads = request.settings.numHeads || undefined;
  if (request.fromModel !== undefined) {
    const model = resolveModel(db, request.fromModel);
    source = model.weightsPath;
    heads = heads ?? model.config.numHeads;
    notes.push(`Adapting library model ${model.id} (${model.name}).`);
  }
  if (source) {
    const loaded = await loadInitialWeights(source, heads);
    fromWeights = architectureSettings(loaded.vit);
    for (const key of Object.keys(fromWeights) as (keyof TrainingConfig)[]) {
      const asked = request.settings[key];
      if (asked !== undefined && asked !== fromWeights[key]) {
        throw new Error(
          `${source} holds a ${loaded.description}: it cannot train with ${key} ${asked}. Leave ${key} out to use the weights' own.`,
        );
      }
    }
    initialWeights = loaded.weights;
    if (loaded.configHint) fromWeights = { ...loaded.configHint, ...fromWeights };
  }
  // Good weights are continued with the guarded recipe (presets.ts ADAPTATION); flags still win.
  const adaptation = initialWeights ? ADAPTATION.settings : {};
  const config = resolveTrainingConfig(preset.settings, fromWeights, adaptation, request.settings);
  if (initialWeights) notes.push(`Guarded adaptation: ${ADAPTATION.description}`);
  if (initialWeights) initialWeights = matchHeads(initialWeights, config, notes);
  const changed = new Set(
    (Object.keys(config) as (keyof TrainingConfig)[]).filter(
      (key) => JSON.stringify(config[key]) !== JSON.stringify(DEFAULT_TRAINING_CONFIG[key]),
    ),
  );
  return {
    plan: { config, imageIds, resume: null, initialWeights },
    preset: presetName,
    changed,
    notes,
  };
}

function resolveResume(db: Db, request: TrainingRequest, imageIds: number[]): ResolvedTraining {
  const given = Object.entries(request.settings).filter(([, value]) => value !== undefined);
  if (given.length > 0 || request.preset || request.fromCheckpoint || request.fromModel !== undefined) {
    throw new Error(
      `--resume continues a run with its own settings; drop ${[...given.map(([key]) => key), ...(request.preset ? ['--preset'] : []), ...(request.fromCheckpoint ? ['--from-checkpoint'] : []), ...(request.fromModel !== undefined ? ['--from-model'] : [])].join(', ')}.`,
    );
  }
  const run = request.resume === 'latest' ? latestUnfinishedRun(db) : getRun(db, request.resume as number);
  if (!run)
    throw new Error('No run to resume: every training run finished. Start a new one with `dinoscope train`.');
  if (run.status === 'finished') {
    throw new Error(
      `Run ${run.id} finished; there is nothing to resume. Start a new run, or --from-checkpoint one of its checkpoints.`,
    );
  }
  const recorded = listCheckpoints(db, run.id)
    .map((c) => c.path)
    .filter((path) => existsSync(path));
  const file = recorded.at(-1) ?? latestCheckpointFile(run.dir);
  if (!file) {
    throw new Error(
      `Run ${run.id} stopped before its first checkpoint: nothing to resume from. Start a new run.`,
    );
  }
  const checkpoint = readCheckpoint(file);
  const config = resolveTrainingConfig(checkpoint.info.config);
  return {
    plan: { config, imageIds, resume: { runId: run.id, checkpoint }, initialWeights: null },
    preset: null,
    changed: new Set(),
    notes: [`Resuming run ${run.id} (${run.status}) from ${file}.`],
  };
}

interface LoadedWeights {
  vit: VitConfig;
  weights: InitialWeights;
  description: string;
  /** Settings a run of ours carries over (its head shape). */
  configHint: Partial<TrainingConfig> | null;
}

async function loadInitialWeights(file: string, numHeads: number | undefined): Promise<LoadedWeights> {
  if (!existsSync(file)) throw new Error(`${file}: no such file.`);
  if (isDinoscopeCheckpoint(file)) {
    const { info, tensors } = readCheckpoint(file);
    const pick = (prefix: string) => {
      const picked: NamedTensors = new Map();
      for (const [name, tensor] of tensors)
        if (name.startsWith(prefix)) picked.set(name.slice(prefix.length), tensor);
      return picked;
    };
    const vit = backboneConfig(info.config);
    return {
      vit,
      description: `dinoscope checkpoint (run ${info.runId}, step ${info.step})`,
      weights: {
        description: `run ${info.runId}'s checkpoint at step ${info.step} (${file})`,
        student: { backbone: pick('student.backbone.'), head: pick('student.head.') },
        teacher: { backbone: pick('teacher.backbone.'), head: pick('teacher.head.') },
      },
      configHint: {
        outDim: info.config.outDim,
        headHiddenDim: info.config.headHiddenDim,
        headBottleneckDim: info.config.headBottleneckDim,
      },
    };
  }
  const { importWeights } = await import('../model/weight-import.ts');
  const imported = await importWeights(file, { numHeads });
  return {
    vit: imported.config,
    description: imported.description,
    // Student and teacher both start from the published network, as when the reference resumes from it.
    weights: {
      description: imported.description,
      student: { backbone: imported.backbone, head: imported.head },
      teacher: { backbone: imported.backbone, head: imported.head },
    },
    configHint: null,
  };
}

/** The training settings that give this backbone shape. */
function architectureSettings(vit: VitConfig): Partial<TrainingConfig> {
  if (vit.patchSize !== 16 && vit.patchSize !== 8) {
    throw new Error(`Weights with patch size ${vit.patchSize} cannot be trained here (16 or 8).`);
  }
  const arch = VIT_ARCHS.find((name) => {
    const shape = vitConfig(name);
    return shape.embedDim === vit.embedDim && shape.depth === vit.depth && shape.numHeads === vit.numHeads;
  });
  if (arch) return { arch, patchSize: vit.patchSize, imgSize: vit.imgSize };
  return {
    patchSize: vit.patchSize,
    embedDim: vit.embedDim,
    depth: vit.depth,
    numHeads: vit.numHeads,
    imgSize: vit.imgSize,
  };
}

/** A head whose shape differs from the config's cannot be used: it starts at random instead, said in a note. */
function matchHeads(weights: InitialWeights, config: TrainingConfig, notes: string[]): InitialWeights {
  const head = weights.student.head;
  if (!head || head.size === 0) {
    notes.push('The weights have no DINO head: the head starts at random.');
    return {
      ...weights,
      student: { ...weights.student, head: null },
      teacher: { ...weights.teacher, head: null },
    };
  }
  const outDim = head.get('last_layer.weight_v')?.shape[0];
  const hidden = head.get('mlp.0.weight')?.shape[0];
  const bottleneck = head.get('last_layer.weight_v')?.shape[1];
  if (
    outDim !== config.outDim ||
    hidden !== config.headHiddenDim ||
    bottleneck !== config.headBottleneckDim
  ) {
    notes.push(
      `The weights' DINO head (out_dim ${outDim}, hidden ${hidden}, bottleneck ${bottleneck}) does not match this run's (${config.outDim}, ${config.headHiddenDim}, ${config.headBottleneckDim}): the head starts at random.`,
    );
    return {
      ...weights,
      student: { ...weights.student, head: null },
      teacher: { ...weights.teacher, head: null },
    };
  }
  return weights;
}
