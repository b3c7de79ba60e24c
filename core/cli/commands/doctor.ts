import { arch, availableParallelism, cpus, platform } from 'node:os';
import type { Command } from 'commander';
import packageJson from '../../../package.json' with { type: 'json' };

/**
 * `dinoscope doctor`: what this machine computes with. The TensorFlow.js backend the engine chose
 * and why (the faster ones it tried and why they did not load), versions, whether an NVIDIA GPU
 * is present and used, the WebGPU adapter (vendor, architecture, limits, software or not) and why
 * it trains or was skipped, threads and training replicas, what to install for more speed, and the
 * ONNX Runtime execution providers that inference uses.
 */
export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the compute setup: backend, versions, GPU, threads, and what would make training faster',
    )
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { initBackend } = await import('../../engine/backend.ts');
      const { defaultReplicas } = await import('../../training/data-parallel-training.ts');
      const { onnxRuntimeInfo, describeOnnxRuntime } = await import('../../engine/onnx-runtime.ts');
      const { simdKernelsAvailable } = await import('../../engine/own-wasm-kernels.ts');
      const { describeAdapter } = await import('../../engine/webgpu-adapter.ts');
      const { chooseMicroBatch, memoryBudget } = await import('../../training/step-memory.ts');
      const { DEFAULT_TRAINING_CONFIG } = await import('../../training/config.ts');
      const { TRAINING_PRESETS } = await import('../../training/presets.ts');
      const backend = await initBackend();
      const replicas = defaultReplicas(backend.kind);
      // dinoscope's own SIMD kernels (GELU, attention products, transposes, the update) on wasm.
      const ownKernels = backend.kind === 'wasm' && simdKernelsAvailable();
      // How the `gpu` preset's step fits a GPU: the memory estimate, the micro-batches that bring it
      // under the budget (8 GB or DINOSCOPE_GPU_MEMORY_GB) and this adapter's buffer limits.
      const gpuPreset = { ...DEFAULT_TRAINING_CONFIG, ...TRAINING_PRESETS.gpu.settings };
      const gpuPresetMemory = chooseMicroBatch(
        gpuPreset,
        memoryBudget(backend.kind === 'tensorflow-gpu' ? 'tensorflow-gpu' : 'webgpu'),
        backend.webgpu.limits,
      );
      const globals = command.optsWithGlobals() as { events?: boolean };
      if (options.json || globals.events) {
        process.stdout.write(
          `${JSON.stringify({ dinoscope: packageJson.version, node: process.version, backend, ownWasmKernels: ownKernels, trainingReplicas: replicas, gpuPresetMemory, onnxRuntime: await onnxRuntimeInfo() })}\n`,
        );
        return;
      }
      const cores = availableParallelism();
      const lines = [
        `dinoscope ${packageJson.version} · Node ${process.version} · ${platform()} ${arch()} · ${cores} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'})`,
        `TensorFlow.js ${backend.tfjsVersion}: backend ${backend.kind} (${backend.packageName} ${backend.packageVersion}${backend.simd ? ', WebAssembly SIMD' : ''}) — ${backend.reason}`,
        ...backend.skipped.map((s) => `  not loaded: ${s.packageName} (${s.error})`),
        backend.gpu.present
          ? `GPU: ${backend.gpu.description}; ${backend.kind === 'tensorflow-gpu' && backend.usingGpu ? 'TensorFlow computes on it' : 'not used through CUDA'}`
          : 'GPU: no NVIDIA GPU seen',
        `WebGPU: ${describeAdapter(backend.webgpu)} — ${backend.webgpuChoice}`,
        `Memory: gpu preset ${gpuPresetMemory.description}`,
        `Threads: ${backend.threads} per replica; training runs ${replicas} data-parallel replica${replicas === 1 ? '' : 's'}` +
          (replicas > 1 ? ' (one per core: the wasm backend computes on one thread)' : ''),
        ...(ownKernels
          ? [
              "Kernels: dinoscope's WebAssembly SIMD kernels for GELU, attention's products, transposes, column sums, AdamW and the EMA",
            ]
          : []),
        backend.advice
          ? `Faster: ${backend.advice}`
          : 'Faster: this is the fastest backend for this machine.',
        `Inference (embeddings, attention maps): ${await describeOnnxRuntime()}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
