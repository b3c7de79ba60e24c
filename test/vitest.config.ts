import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

const shared = {
  // Native modules (better-sqlite3, sharp, onnxruntime) are happiest in child processes.
  pool: 'forks' as const,
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

/**
 * The tests that run a second time on tfjs's WebGPU backend (forced, so a software adapter such as
 * Mesa's lavapipe in CI counts): the golden tensors of the reference code, the memory test, and
 * the trainer's checkpoint, resume and non-finite-loss runs.
 */
const WEBGPU_TESTS = [
  'test/core/model/vision-transformer.test.ts',
  'test/core/model/dino-head.test.ts',
  'test/core/training/dino-loss.test.ts',
  'test/core/training/schedules.test.ts',
  'test/core/training/train-step.test.ts',
  'test/core/training/train-step-micro-batch.test.ts',
  'test/core/training/training-memory.test.ts',
  'test/core/training/trainer.test.ts',
];

/**
 * Whether Dawn offers any adapter here, asked in a child process so that this config never loads
 * the native module: null when it does, else why not (then the WebGPU project is left out, saying so).
 */
function webGpuMissing(): string | null {
  if (process.env.DINOSCOPE_WEBGPU_TESTS === '0') return 'DINOSCOPE_WEBGPU_TESTS=0';
  const probe = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "const { create } = await import('webgpu'); const a = await create([]).requestAdapter(); " +
        "console.log(a ? 'adapter ' + a.info.vendor : 'none'); process.exit(0);",
    ],
    { cwd: root, encoding: 'utf8', timeout: 30_000 },
  );
  if (probe.status !== 0) return `the webgpu package did not load (${probe.stderr.trim().split('\n')[0]})`;
  if (!probe.stdout.includes('adapter ')) {
    return 'no WebGPU adapter (no GPU driver; on Linux `.ci/run` installs the lavapipe software one)';
  }
  return null;
}

const missing = webGpuMissing();
if (missing) console.warn(`WebGPU tests skipped: ${missing}.`);

export default defineConfig({
  root,
  test: {
    projects: [
      { test: { ...shared, name: 'default', root, include: ['test/**/*.test.ts', 'test/**/*.test.tsx'] } },
      ...(missing
        ? []
        : [
            {
              test: {
                ...shared,
                name: 'webgpu',
                root,
                include: WEBGPU_TESTS,
                env: { DINOSCOPE_BACKEND: 'webgpu' },
              },
            },
          ]),
    ],
  },
});
