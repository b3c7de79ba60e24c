import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { detectNvidiaGpu, type GpuProbe } from './gpu-probe.ts';
import { installWasmKernelFixes } from './wasm-kernel-fixes.ts';
import { installWebGpuGlobals, probeWebGpu, type WebGpuAdapterReport } from './webgpu-adapter.ts';

/**
 * Picks the fastest TensorFlow.js backend that loads on this machine, in this order:
 * native TensorFlow with CUDA (`@tensorflow/tfjs-node-gpu`), WebGPU on a hardware adapter
 * (`@tensorflow/tfjs-backend-webgpu` on Dawn: Metal, Direct3D 12 or Vulkan), native TensorFlow on
 * the CPU (`@tensorflow/tfjs-node`), WebAssembly with SIMD (`@tensorflow/tfjs-backend-wasm`), plain JS.
 * A software WebGPU adapter is skipped unless WebGPU is asked for: it is slower than wasm.
 * The native packages are optional dependencies whose install downloads libtensorflow; when that
 * fails the package may be missing, or present without its binary (then `require` throws a plain
 * Error): every load error is caught, kept, and reported by `dinoscope doctor`.
 *
 * Gradients: the `@tensorflow/tfjs` umbrella (imported above) registers the gradient functions
 * that the bare tfjs-core bundle lacks.
 */
export type BackendKind = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  kind: BackendKind;
  /** The tfjs backend name (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsName: string;
  /** The npm package that provides it. */
  packageName: string;
  packageVersion: string;
  tfjsVersion: string;
  /** True when TensorFlow.js computes on a GPU: CUDA, or a hardware (not software) WebGPU adapter. */
  usingGpu: boolean;
  /** Whether the machine has an NVIDIA GPU at all (independent of tfjs). */
  gpu: GpuProbe;
  /** The WebGPU adapter Dawn offers (probed whichever backend won), and whether it is software. */
  webgpu: WebGpuAdapterReport;
  /** Why WebGPU trains or does not: used, skipped (and why), or not tried. */
  webgpuChoice: string;
  /** WebAssembly SIMD in use (wasm only). */
  simd: boolean;
  /** Threads the backend computes with. */
  threads: number;
  /** One sentence: why this backend. */
  reason: string;
  /** Faster backends that were tried first and why they did not load. */
  skipped: { kind: BackendKind; packageName: string; error: string }[];
  /** What a person can install for a faster backend, or null when this is the fastest possible. */
  advice: string | null;
}

export interface BackendOptions {
  /**
   * Use this backend or fail (`DINOSCOPE_BACKEND` sets it too). Default: the fastest that loads.
   * Tests use `cpu` or `wasm` to compare the backends.
   */
  prefer?: BackendKind;
}

export interface BackendCandidate {
  kind: BackendKind;
  packageName: string;
  tfjsName: string;
  /**
   * Loads and activates the backend; throws when it cannot. `forced`: asked for by name, so a
   * slow-but-correct variant (a software WebGPU adapter) is accepted.
   */
  load(forced?: boolean): Promise<void>;
}

const require = createRequire(import.meta.url);

const CANDIDATES: BackendCandidate[] = [
  {
    kind: 'tensorflow-gpu',
    packageName: '@tensorflow/tfjs-node-gpu',
    tfjsName: 'tensorflow',
    load: () => loadNative('@tensorflow/tfjs-node-gpu'),
  },
  {
    kind: 'webgpu',
    packageName: '@tensorflow/tfjs-backend-webgpu',
    tfjsName: 'webgpu',
    load: loadWebGpu,
  },
  {
    kind: 'tensorflow',
    packageName: '@tensorflow/tfjs-node',
    tfjsName: 'tensorflow',
    load: () => loadNative('@tensorflow/tfjs-node'),
  },
  { kind: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', tfjsName: 'wasm', load: loadWasm },
  { kind: 'cpu', packageName: '@tensorflow/tfjs-backend-cpu', tfjsName: 'cpu', load: () => activate('cpu') },
];

async function loadNative(packageName: string): Promise<void> {
  // Requiring the package registers the `tensorflow` backend with the shared tfjs engine.
  require(packageName);
  await activate('tensorflow');
}

async function loadWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  await activate('wasm');
  installWasmKernelFixes();
}

async function loadWebGpu(forced = false): Promise<void> {
  const adapter = await probeWebGpu();
  if (!adapter.available) throw new Error(adapter.error ?? 'no WebGPU adapter');
  if (adapter.software && !forced) {
    throw new Error(
      `the adapter is software (${adapter.vendor} ${adapter.device}), slower than the CPU backends; DINOSCOPE_BACKEND=webgpu uses it anyway`,
    );
  }
  // The backend registers itself only when `navigator.gpu` exists at import.
  await installWebGpuGlobals();
  await import('@tensorflow/tfjs-backend-webgpu');
  await activate('webgpu');
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not initialise the ${name} backend.`);
  await tf.ready();
}

let active: Promise<BackendInfo> | null = null;

/** Initialises the backend once per process; later calls return the same answer. */
export function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  active ??= chooseBackend(CANDIDATES, options.prefer ?? preferredFromEnvironment());
  return active;
}

function preferredFromEnvironment(): BackendKind | undefined {
  const value = process.env.DINOSCOPE_BACKEND;
  if (!value) return undefined;
  const kinds = CANDIDATES.map((c) => c.kind);
  if (!kinds.includes(value as BackendKind)) {
    throw new Error(`DINOSCOPE_BACKEND=${value} is not a backend; use one of ${kinds.join(', ')}.`);
  }
  return value as BackendKind;
}

/** Tries the candidates in order (or only the preferred one) and describes the first that loads. */
export async function chooseBackend(
  candidates: readonly BackendCandidate[],
  prefer?: BackendKind,
): Promise<BackendInfo> {
  const skipped: BackendInfo['skipped'] = [];
  const tried = prefer ? candidates.filter((c) => c.kind === prefer) : candidates;
  if (tried.length === 0) throw new Error(`Unknown backend ${prefer}.`);
  for (const candidate of tried) {
    try {
      await candidate.load(prefer !== undefined);
    } catch (error) {
      skipped.push({
        kind: candidate.kind,
        packageName: candidate.packageName,
        error: firstLine(error),
      });
      continue;
    }
    return describe(candidate, skipped, prefer !== undefined);
  }
  const reasons = skipped.map((s) => `${s.packageName}: ${s.error}`).join('; ');
  if (prefer) {
    const source =
      process.env.DINOSCOPE_BACKEND === prefer ? `DINOSCOPE_BACKEND=${prefer}` : `The ${prefer} backend`;
    throw new Error(`${source} was asked for but cannot be used here (${reasons}).`);
  }
  throw new Error(`No TensorFlow.js backend could be loaded (${reasons}). Reinstall with \`npm ci\`.`);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 300);
}

async function describe(
  candidate: BackendCandidate,
  skipped: BackendInfo['skipped'],
  forced: boolean,
): Promise<BackendInfo> {
  const gpu = detectNvidiaGpu();
  const webgpu = await probeWebGpu();
  const backend = tf.backend() as { isUsingGpuDevice?: boolean };
  const usingGpu = candidate.kind === 'tensorflow-gpu' && backend.isUsingGpuDevice === true;
  const simd = candidate.kind === 'wasm' && (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  return {
    kind: candidate.kind,
    tfjsName: candidate.tfjsName,
    packageName: candidate.packageName,
    packageVersion: packageVersion(candidate.packageName),
    tfjsVersion: tf.version.tfjs,
    usingGpu: usingGpu || (candidate.kind === 'webgpu' && !webgpu.software),
    gpu,
    webgpu,
    webgpuChoice: webgpuChoice(candidate.kind, skipped, forced),
    simd,
    threads: await threadCount(candidate.kind),
    reason: forced
      ? `requested (${process.env.DINOSCOPE_BACKEND ? 'DINOSCOPE_BACKEND' : 'option'})`
      : skipped.length === 0
        ? 'the fastest backend, and it loaded'
        : `the fastest that loaded (${skipped.map((s) => s.packageName).join(', ')} did not)`,
    skipped,
    advice: advice(candidate.kind, gpu, usingGpu, webgpu),
  };
}

function webgpuChoice(kind: BackendKind, skipped: BackendInfo['skipped'], forced: boolean): string {
  if (kind === 'webgpu')
    return forced ? 'used: requested by name' : 'used: a hardware adapter, the fastest backend that loaded';
  const skip = skipped.find((s) => s.kind === 'webgpu');
  if (skip) return `skipped: ${skip.error}`;
  return forced ? `not tried: ${kind} was requested` : `not tried: ${kind} comes first`;
}

function packageVersion(packageName: string): string {
  try {
    return (require(`${packageName}/package.json`) as { version: string }).version;
  } catch {
    return tf.version.tfjs;
  }
}

async function threadCount(kind: BackendKind): Promise<number> {
  if (kind === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    return wasm.getThreadsCount();
  }
  // libtensorflow's intra-op pool uses every core by default; the JS backend runs on one, and
  // WebGPU is driven from one thread (a software adapter's own threads are the driver's).
  return kind === 'cpu' || kind === 'webgpu' ? 1 : availableParallelism();
}

function advice(
  kind: BackendKind,
  gpu: GpuProbe,
  usingGpu: boolean,
  webgpu: WebGpuAdapterReport,
): string | null {
  const tfVersion = tf.version.tfjs;
  if (usingGpu) return null;
  if (kind === 'webgpu' && !webgpu.software) return null;
  if (gpu.present) {
    return (
      `an NVIDIA GPU is present (${gpu.description}): install CUDA 11.8 and cuDNN 8.6, then ` +
      `\`npm install @tensorflow/tfjs-node-gpu@${tfVersion}\` (its install script downloads libtensorflow, so it needs the internet).`
    );
  }
  if (kind === 'tensorflow') return null;
  return (
    `\`npm install @tensorflow/tfjs-node@${tfVersion}\` for native multi-threaded CPU training ` +
    '(its install script downloads libtensorflow from storage.googleapis.com, so it needs that host).'
  );
}
