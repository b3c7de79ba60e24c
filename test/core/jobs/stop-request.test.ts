import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../../core/api.ts';
import { type CliProcess, nodeCliLauncher } from '../../../core/jobs/cli-process.ts';
import { JobRunner } from '../../../core/jobs/job-runner.ts';
import { isStopMessage, stopMessage } from '../../../core/jobs/stop-request.ts';

/**
 * Pause, cancel and quit reach a job process as a message on its IPC channel (the same on every
 * OS), with real child processes started the way the web mode starts the CLI.
 */
const entry = fileURLToPath(new URL('./stop-fixture.mjs', import.meta.url));
const folder = mkdtempSync(join(tmpdir(), 'dinoscope-stop-'));
const launch = nodeCliLauncher(join(folder, 'library.sqlite'), entry);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function started(
  mode: string,
): Promise<{ child: CliProcess; lines: string[]; exit: Promise<[number | null, string | null]> }> {
  const child = launch([mode]);
  const lines: string[] = [];
  const exit = new Promise<[number | null, string | null]>((resolve) =>
    child.onExit((code, signal) => resolve([code, signal])),
  );
  return new Promise((resolve) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) resolve({ child, lines, exit });
    });
  });
}

describe('stop requests through the IPC channel', () => {
  it('reach the command’s own Ctrl-C handler, which saves and ends normally', async () => {
    const { child, lines, exit } = await started('saves');
    child.interrupt();
    expect(await exit).toEqual([0, null]);
    expect(lines.at(-1)).toContain('"savedOn":"SIGINT"');
  });

  it('reach the SIGTERM handler for a cancel', async () => {
    const { child, lines, exit } = await started('saves');
    child.terminate();
    expect(await exit).toEqual([0, null]);
    expect(lines.at(-1)).toContain('"savedOn":"SIGTERM"');
  });

  it('end a process with no handler as the signal would (exit code 130)', async () => {
    const { child, exit } = await started('waits');
    child.interrupt();
    expect(await exit).toEqual([130, null]);
  });

  it('do not keep a finished job alive', async () => {
    const { exit } = await started('finishes');
    expect(await exit).toEqual([0, null]);
  });

  it('are checked for their shape', () => {
    expect(isStopMessage(stopMessage('interrupt'))).toBe(true);
    expect(isStopMessage({ type: 'dinoscope:stop', kind: 'rm -rf' })).toBe(false);
    expect(isStopMessage('dinoscope:stop')).toBe(false);
  });
});

describe('JobRunner stopping a job that does not answer', () => {
  it('ends it by force after the grace period, as cancelled, saying so', async () => {
    const runner = new JobRunner(launch);
    const job = runner.start({ kind: 'scan', title: 'Scan', args: ['ignores'], resumeArgs: null });
    await new Promise<void>((resolve) => {
      const unsubscribe = runner.onEvent((event) => {
        if (event.type === 'job' && event.job.progress) {
          unsubscribe();
          resolve();
        }
      });
    });
    const started = Date.now();
    await runner.stopAll(300);
    const info: JobInfo = runner.get(job.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(info.status).toBe('cancelled');
    expect(info.warnings.join(' ')).toMatch(/did not stop within/);
  });

  it('pauses a resumable job on quit: it gets Ctrl-C, saves, and can be resumed', async () => {
    const runner = new JobRunner(launch);
    const job = runner.start({ kind: 'train', title: 'Train', args: ['saves'], resumeArgs: ['saves'] });
    await new Promise<void>((resolve) => {
      const unsubscribe = runner.onEvent((event) => {
        if (event.type === 'job' && event.job.progress) {
          unsubscribe();
          resolve();
        }
      });
    });
    await runner.stopAll(10_000);
    const info = runner.get(job.id);
    expect(info.status).toBe('paused');
    expect(info.resumable).toBe(true);
    expect(info.result).toEqual({ savedOn: 'SIGINT' });
  });
});
