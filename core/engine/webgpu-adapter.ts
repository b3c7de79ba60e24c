/**
 * The WebGPU adapter this machine offers to Node, through the `webgpu` package (Dawn's Node
 * bindings, which ship prebuilt for macOS, Windows and Linux): Metal on macOS, Direct3D 12 on
 * Windows, Vulkan on Linux. Probed once per process; TensorFlow.js's WebGPU backend and the
 * doctor read the same answer.
 *
 * A software adapter (Mesa's lavapipe, SwiftShader: `isFallbackAdapter`, or the `software`
 * architecture) computes on the CPU far slower than the wasm backend does, so the automatic
 * choice skips it; tests and `DINOSCOPE_BACKEND=webgpu` may still use it for correctness.
 */
export interface WebGpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

export interface WebGpuAdapterReport {
  /** Whether Dawn loaded and offered an adapter. */
  available: boolean;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of WebGPU (lavapipe, SwiftShader, WARP): correct but slow. */
  software: boolean;
  /** The adapter's own `isFallbackAdapter` flag. */
  isFallbackAdapter: boolean;
  limits: WebGpuLimits | null;
  /** Features that matter to us (half floats, subgroups, timestamps). */
  features: string[];
  /** Why there is no adapter, when there is none. */
  error: string | null;
}

interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

interface AdapterLike {
  info: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter?: boolean;
  };
  isFallbackAdapter?: boolean;
  limits: WebGpuLimits;
  features: ReadonlySet<string>;
}

const INTERESTING_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

let probing: Promise<WebGpuAdapterReport> | null = null;

/** What adapter WebGPU gives this process (the one tfjs's backend will request: high performance). */
export function probeWebGpu(): Promise<WebGpuAdapterReport> {
  probing ??= probe();
  return probing;
}

async function probe(): Promise<WebGpuAdapterReport> {
  let gpu: GpuLike;
  try {
    gpu = await installWebGpuGlobals();
  } catch (error) {
    return missing(`the webgpu package (Dawn) did not load: ${firstLine(error)}`);
  }
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return missing(`requestAdapter failed: ${firstLine(error)}`);
  }
  if (!adapter) {
    return missing(
      'Dawn found no adapter (no Metal, Direct3D 12 or Vulkan driver; on Linux install the GPU vendor’s Vulkan driver, or mesa-vulkan-drivers ≥ 24 for the software one)',
    );
  }
  const info = adapter.info;
  const isFallbackAdapter = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false;
  const limits = adapter.limits;
  return {
    available: true,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isFallbackAdapter || isSoftwareName(info),
    isFallbackAdapter,
    limits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
    features: INTERESTING_FEATURES.filter((f) => adapter.features.has(f)),
    error: null,
  };
}

/** Dawn does not flag every CPU implementation as a fallback adapter; their names say it. */
function isSoftwareName(info: AdapterLike['info']): boolean {
  const text = `${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /software|llvmpipe|lavapipe|swiftshader|microsoft basic render/.test(text);
}

let installing: Promise<GpuLike> | null = null;

/**
 * Loads Dawn and exposes it as a browser would (`navigator.gpu`, `GPUBufferUsage`, …): the tfjs
 * WebGPU backend checks `navigator.gpu` when it is imported and uses the globals in its kernels,
 * so this must run before `@tensorflow/tfjs-backend-webgpu` is imported.
 */
export function installWebGpuGlobals(): Promise<GpuLike> {
  installing ??= (async () => {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create([]) as unknown as GpuLike;
    const holder = globalThis as { navigator?: { gpu?: unknown } };
    if (holder.navigator) {
      // Node ≥ 21 has a `navigator` of its own; add `gpu` to it.
      Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
    } else {
      Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    }
    return gpu;
  })();
  return installing;
}

function missing(error: string): WebGpuAdapterReport {
  return {
    available: false,
    vendor: '',
    architecture: '',
    device: '',
    description: '',
    software: false,
    isFallbackAdapter: false,
    limits: null,
    features: [],
    error,
  };
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].slice(0, 300);
}

/** One line for the doctor: the adapter, whether it is software, its storage limits. */
export function describeAdapter(report: WebGpuAdapterReport): string {
  if (!report.available) return `no adapter (${report.error})`;
  const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
  const name = [report.vendor, report.architecture, report.device].filter(Boolean).join(' ');
  const limits = report.limits
    ? `, storage binding ≤ ${mib(report.limits.maxStorageBufferBindingSize)}, buffer ≤ ${mib(report.limits.maxBufferSize)}`
    : '';
  return `${name || report.description}${report.software ? ' (software: computes on the CPU)' : ''}${limits}${report.features.length ? `, ${report.features.join(', ')}` : ''}`;
}
