import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { probeWebGpu } from '../../../../core/engine/webgpu-adapter.ts';
import { openDatabase } from '../../../../core/store/database.ts';
import { listModels } from '../../../../core/store/models.ts';
import { listRuns } from '../../../../core/store/runs.ts';
import { readRunLog } from '../../../../core/training/run-log.ts';
import { makeRawLibrary } from '../../training/raw-library.ts';

/** `dinoscope train` as the app runs it: a child process printing JSON lines, paused by Ctrl-C, resumed. */
const cli = fileURLToPath(new URL('../../../../core/cli/dinoscope.js', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-train-command-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
/** This machine's WebGPU adapter is a software one (lavapipe here and in CI). */
const softwareAdapter = (await probeWebGpu()).software;

const tinyFlags = [
  '--arch',
  'vit_tiny',
  '--patch',
  '16',
  '--global-size',
  '32',
  '--local-size',
  '16',
  '--local-crops',
  '2',
  '--out-dim',
  '64',
  '--batch',
  '5',
  '--epochs',
  '3',
  ...['embedDim=32', 'depth=2', 'numHeads=2', 'headHiddenDim=32', 'headBottleneckDim=16'].flatMap((s) => [
    '--set',
    s,
  ]),
];

function run(
  db: string,
  args: string[],
  onLine?: (line: Record<string, unknown>, child: ChildProcess) => void,
  env: Record<string, string> = {},
) {
  const child = spawn(process.execPath, [cli, '--db', db, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DINOSCOPE_BACKEND: 'wasm', ...env },
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    onLine?.(line, child);
  });
  return new Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, lines, stderr })),
  );
}

describe('dinoscope train', () => {
  const library = makeRawLibrary(folder, 'library', 12);

  it('prints the resolved config, each setting with its reason, and marks what differs from the reference', async () => {
    const { code, stderr } = await run(library.file, ['train', '--dry-run', '--epochs', '7']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/Preset "cpu" chosen for the wasm backend/);
    expect(stderr).toMatch(/^\* epochs +7 +The reference default/m);
    expect(stderr).toMatch(/^\* outDim +4096 /m);
    expect(stderr).toMatch(/^ {2}teacherTemp +0\.04 /m);
  });

  it('plans the gpu preset into 8 GB with micro-batches of the student, the batch kept at 32', async () => {
    const { code, stderr } = await run(library.file, ['train', '--dry-run', '--preset', 'gpu'], undefined, {
      DINOSCOPE_GPU_MEMORY_GB: '8',
    });
    expect(code).toBe(0);
    expect(stderr).toMatch(
      /^Memory: vit_small\/16 224\/96 px, 2 \+ 8 views, out_dim 65536, batch 32: estimated \d+\.\d GB at once; 2 micro-batches of 16 -> \d+\.\d GB, fits 8\.0 GB/m,
    );
    expect(stderr).toMatch(/^\* batchSize +32 /m);
    expect(stderr).toMatch(/^ {2}microBatchSize +0 /m);
    const forced = await run(
      library.file,
      ['train', '--dry-run', '--preset', 'gpu', '--set', 'microBatchSize=32'],
      undefined,
      { DINOSCOPE_GPU_MEMORY_GB: '8' },
    );
    expect(forced.code).toBe(0);
    expect(forced.stderr).toMatch(/microBatchSize set; does NOT fit 8\.0 GB/);
    expect(forced.stderr).toMatch(/^warning: microBatchSize 32 is over the memory budget/m);
  });

  it.skipIf(!softwareAdapter)(
    'picks the cpu preset when WebGPU is forced onto a software adapter, and says why',
    async () => {
      const { code, stderr } = await run(library.file, ['train', '--dry-run'], undefined, {
        DINOSCOPE_BACKEND: 'webgpu',
      });
      expect(code).toBe(0);
      expect(stderr).toMatch(/^Backend: webgpu/m);
      expect(stderr).toMatch(/Preset "cpu" chosen: the webgpu backend runs on a software adapter/);
    },
  );

  it('streams progress events, pauses on Ctrl-C with a checkpoint, and --resume finishes the run', async () => {
    let interrupted = false;
    const first = await run(library.file, ['--events', 'train', ...tinyFlags], (line, child) => {
      // Ctrl-C as soon as training is set up: it stops after the first step, with a checkpoint.
      if (line.type === 'config' && !interrupted) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    expect(first.stderr).not.toMatch(/dinoscope:/);
    expect(first.code).toBe(130);
    expect(first.lines[0]).toMatchObject({ type: 'config', preset: 'cpu', backend: 'wasm' });
    const progress = first.lines.find((line) => line.type === 'progress') as {
      detail: Record<string, number>;
    };
    for (const key of [
      'run',
      'epoch',
      'step',
      'loss',
      'lr',
      'wd',
      'momentum',
      'teacherTemp',
      'teacherEntropy',
    ]) {
      expect(typeof progress.detail[key]).toBe('number');
    }
    const result = first.lines.at(-1) as {
      type: string;
      result: { status: string; runId: number; step: number };
    };
    expect(result).toMatchObject({ type: 'result', result: { status: 'paused' } });

    const second = await run(library.file, ['--events', 'train', '--resume']);
    expect(second.code).toBe(0);
    expect(second.lines.at(-1)).toMatchObject({ type: 'result', result: { status: 'finished', step: 6 } });
    const db = openDatabase(library.file);
    try {
      const [runRecord] = listRuns(db);
      expect(runRecord).toMatchObject({ id: result.result.runId, status: 'finished', step: 6 });
      expect(readRunLog(runRecord.dir).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(listModels(db)).toMatchObject([{ source: 'trained', runId: runRecord.id }]);
    } finally {
      db.close();
    }
    const again = await run(library.file, ['train', '--resume']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No run to resume: every training run finished/);
  });
});
