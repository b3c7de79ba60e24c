import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { probeWebGpu, type WebGpuAdapterReport } from './webgpu-adapter.ts';

/**
 * ONNX Runtime for inference: loaded lazily (it is a native module and may be missing or broken
 * on a machine), with the fastest execution provider the platform has — CUDA where its libraries
 * were installed, DirectML on Windows, CoreML on macOS, WebGPU (bundled in onnxruntime-node: Metal,
 * Direct3D 12 or Vulkan) where a hardware adapter exists — and the CPU everywhere else.
 */
export type OrtModule = typeof Ort;

let loading: Promise<OrtModule | Error> | null = null;

/** The onnxruntime-node module, or the reason it cannot be used here. */
export function loadOnnxRuntime(): Promise<OrtModule | Error> {
  loading ??= import('onnxruntime-node').then(
    (module) => {
      const ort = ((module as unknown as { default?: OrtModule }).default ?? module) as OrtModule;
      // Warnings such as "removing unused initializer" are noise for our users.
      ort.env.logLevel = 'error';
      return ort;
    },
    (error: unknown) =>
      new Error(`ONNX Runtime could not load: ${error instanceof Error ? error.message : String(error)}`),
  );
  return loading;
}

export interface OnnxRuntimeInfo {
  available: boolean;
  version: string | null;
  /** Providers tried in order when a session is created (the last is always the CPU). */
  executionProviders: string[];
  /** Why ONNX Runtime or a faster provider is not used, when that is so. */
  note: string | null;
}

/** What `dinoscope doctor` says: which ONNX Runtime and execution providers this machine uses. */
export async function onnxRuntimeInfo(): Promise<OnnxRuntimeInfo> {
  const ort = await loadOnnxRuntime();
  if (ort instanceof Error) {
    return {
      available: false,
      version: null,
      executionProviders: [],
      note: `${ort.message}; embedding falls back to tfjs`,
    };
  }
  const { providers, note } = preferredExecutionProviders(ort, process.platform, await probeWebGpu());
  return { available: true, version: ort.env.versions?.node ?? null, executionProviders: providers, note };
}

/** One line for `dinoscope doctor`. */
export async function describeOnnxRuntime(): Promise<string> {
  const info = await onnxRuntimeInfo();
  if (!info.available) return `ONNX Runtime: unavailable (${info.note})`;
  return `ONNX Runtime ${info.version}: ${info.executionProviders.join(' → ')}${info.note ? ` (${info.note})` : ''}`;
}

/**
 * The providers to try, fastest first. `webgpu`: the adapter the webgpu package sees (the same
 * drivers ONNX Runtime's own Dawn uses); a software one (lavapipe, SwiftShader) is slower than the
 * CPU provider, so WebGPU is listed only for a hardware adapter.
 */
export function preferredExecutionProviders(
  ort: OrtModule,
  platform: NodeJS.Platform = process.platform,
  webgpu: Pick<WebGpuAdapterReport, 'available' | 'software'> | null = null,
): { providers: string[]; note: string | null } {
  const backends = new Map(ort.listSupportedBackends().map((b) => [b.name, b.bundled]));
  const providers: string[] = [];
  let note: string | null = null;
  if (backends.has('cuda')) {
    // The npm package ships CUDA only when its install script downloaded it (off by default, see .npmrc).
    if (backends.get('cuda') || cudaProviderInstalled()) providers.push('cuda');
    else
      note =
        'no CUDA provider installed; with an NVIDIA GPU: node node_modules/onnxruntime-node/script/install.js --onnxruntime-node-install=cuda12';
  }
  if (platform === 'win32' && backends.has('dml')) providers.push('dml');
  if (platform === 'darwin' && backends.has('coreml')) providers.push('coreml');
  if (backends.has('webgpu') && webgpu?.available) {
    if (!webgpu.software) providers.push('webgpu');
    else {
      const software = 'the only WebGPU adapter is software, slower than the CPU provider';
      note = note ? `${note}; ${software}` : software;
    }
  }
  providers.push('cpu');
  return { providers, note };
}

function cudaProviderInstalled(): boolean {
  try {
    const binding = createRequire(import.meta.url).resolve('onnxruntime-node');
    const folder = join(dirname(binding), '..', 'bin', 'napi-v6', process.platform, process.arch);
    return ['libonnxruntime_providers_cuda.so', 'onnxruntime_providers_cuda.dll'].some((name) =>
      existsSync(join(folder, name)),
    );
  } catch {
    return false;
  }
}

export interface SessionOptions {
  /**
   * Intra-op threads; one per core the OS gives this process when absent. ONNX Runtime's own
   * default (its count of physical cores) is 1 on these 2-core VMs, which halves inference speed
   * (ViT-S/16: 15.6 images/s, 30.6 with 2 threads).
   */
  threads?: number;
  /** Execution providers to try in order; default: `preferredExecutionProviders`. */
  executionProviders?: string[];
  /**
   * Whether idle inference threads spin waiting for work (ONNX Runtime's default). Off when other
   * work shares the cores between runs, such as decoding the next batch.
   */
  spinning?: boolean;
}

/** What a session is created with: `providers` tried in order, threads and spinning as `options` say. */
export function sessionOptionsFor(
  providers: string[],
  options: SessionOptions,
): Ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    intraOpNumThreads: options.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    ...(options.spinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}

/**
 * An inference session on the best provider that accepts the model; a provider that fails to
 * initialise (no driver, no device) is dropped and the next one tried, down to the CPU.
 */
export async function createSession(
  model: Uint8Array | string,
  options: SessionOptions = {},
): Promise<{ session: Ort.InferenceSession; executionProvider: string; ort: OrtModule }> {
  const ort = await loadOnnxRuntime();
  if (ort instanceof Error) throw ort;
  const providers =
    options.executionProviders ??
    preferredExecutionProviders(ort, process.platform, await probeWebGpu()).providers;
  let lastError: unknown = null;
  for (let i = 0; i < providers.length; i++) {
    const sessionOptions = sessionOptionsFor(providers.slice(i), options);
    try {
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
      return { session, executionProvider: providers[i], ort };
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(
    `ONNX Runtime could not create a session (${lastError instanceof Error ? lastError.message : String(lastError)}).`,
  );
}

/** A ViT backbone graph (see `core/export/vit-onnx.ts`) ready to run. */
export interface BackboneSession {
  height: number;
  width: number;
  embedDim: number;
  numHeads: number;
  /** 1 + patches. */
  tokens: number;
  executionProvider: string;
  /** Final-norm CLS tokens [batch, D] of ImageNet-normalised NCHW pixels [batch, 3, H, W]. */
  embed(pixels: Float32Array, batch: number): Promise<Float32Array>;
  /** CLS tokens and the last block's attention [batch, heads, N, N]. */
  forward(pixels: Float32Array, batch: number): Promise<{ cls: Float32Array; lastAttention: Float32Array }>;
  release(): Promise<void>;
}

export async function openBackboneSession(
  model: Uint8Array | string,
  shape: { height: number; width: number; embedDim: number; numHeads: number; patchSize: number },
  options: SessionOptions = {},
): Promise<BackboneSession> {
  const { session, executionProvider, ort } = await createSession(model, options);
  const { height, width, embedDim, numHeads, patchSize } = shape;
  const tokens = 1 + (height / patchSize) * (width / patchSize);
  const feeds = (pixels: Float32Array, batch: number) => {
    if (pixels.length !== batch * 3 * height * width) {
      throw new Error(
        `Backbone input holds ${pixels.length} values, expected ${batch}×3×${height}×${width}.`,
      );
    }
    return { pixel_values: new ort.Tensor('float32', pixels, [batch, 3, height, width]) };
  };
  return {
    height,
    width,
    embedDim,
    numHeads,
    tokens,
    executionProvider,
    async embed(pixels, batch) {
      const out = await session.run(feeds(pixels, batch), ['cls']);
      return out.cls.data as Float32Array;
    },
    async forward(pixels, batch) {
      const out = await session.run(feeds(pixels, batch));
      return { cls: out.cls.data as Float32Array, lastAttention: out.last_attention.data as Float32Array };
    },
    release: () => session.release(),
  };
}
