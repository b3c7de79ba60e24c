import { describe, expect, it } from 'vitest';
import type { ApiEvent, JobInfo } from '../../../core/api.ts';
import type { CliLauncher } from '../../../core/jobs/cli-process.ts';
import { JobRunner } from '../../../core/jobs/job-runner.ts';
import { nodeScriptProcess } from './node-script-process.ts';

/**
 * The runner with real child processes: small Node scripts that behave like the CLI with
 * `--events` (progress lines, a crash, a graceful stop on SIGINT).
 */
const scripts: Record<string, string> = {
  progress: `
    for (let i = 1; i <= 3; i++) console.log(JSON.stringify({ type: 'progress', job: 'train', done: i, total: 3,
      ratePerSecond: 1, etaSeconds: 3 - i, elapsedSeconds: i,
      detail: { run: 7, epoch: 1, step: i, loss: 5 - i, lr: 0.001 * i, teacherEntropy: 2, imagesPerSecond: 10 } }));
    console.log(JSON.stringify({ type: 'config', backend: 'wasm', preset: 'quick' }));
    console.log(JSON.stringify({ type: 'warning', message: 'teacher output looks collapsed' }));
    console.log('a plain line that is not JSON');
    console.log(JSON.stringify({ type: 'result', result: { modelId: 3 } }));`,
  crash: `
    console.error('reading photos…');
    console.error('dinoscope: The library file /tmp/x.sqlite is locked by another program.');
    process.exit(1);`,
  oom: `process.kill(process.pid, 'SIGKILL');`,
  waits: `
    console.log(JSON.stringify({ type: 'progress', job: 'scan', done: 0, total: 10, ratePerSecond: 0, etaSeconds: null, elapsedSeconds: 0 }));
    process.on('SIGINT', () => { console.error('stopping after the batch in flight'); process.exit(130); });
    setInterval(() => {}, 1000);`,
};

const launcher: CliLauncher = (args) => nodeScriptProcess(scripts[args[0]]);

function finished(runner: JobRunner, id: string, status?: JobInfo['status']): Promise<JobInfo> {
  return new Promise((resolve) => {
    const unsubscribe = runner.onEvent((event) => {
      if (event.type !== 'job' || event.job.id !== id) return;
      if (status ? event.job.status === status : event.job.finishedAt !== null) {
        unsubscribe();
        resolve(event.job);
      }
    });
  });
}

describe('JobRunner', () => {
  it('turns progress lines into job events and training metrics', async () => {
    const runner = new JobRunner(launcher);
    const events: ApiEvent[] = [];
    runner.onEvent((event) => events.push(event));
    const job = runner.start({
      kind: 'train',
      title: 'Training',
      args: ['progress'],
      resumeArgs: ['progress'],
    });
    const done = await finished(runner, job.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress?.done).toBe(3);
    expect(done.warnings).toEqual(['teacher output looks collapsed']);
    expect(done.facts).toEqual({ backend: 'wasm', preset: 'quick' });
    expect(done.result).toEqual({ modelId: 3 });
    expect(done.resumable).toBe(false);
    const metrics = events.flatMap((event) => (event.type === 'training-metric' ? [event] : []));
    expect(metrics.map((event) => event.metric.loss)).toEqual([4, 3, 2]);
    expect(metrics[0]).toMatchObject({
      jobId: job.id,
      runId: 7,
      metric: { step: 1, lr: 0.001, teacherEntropy: 2, imagesPerSecond: 10 },
    });
    expect(events.at(-1)).toEqual({ type: 'library-changed', what: 'models' });
  });

  it('reports a crash with the reason the process gave and what to do, and resumes it', async () => {
    const runner = new JobRunner(launcher);
    const job = runner.start({ kind: 'scan', title: 'Scanning', args: ['crash'], resumeArgs: ['progress'] });
    const failed = await finished(runner, job.id);
    expect(failed.status).toBe('failed');
    expect(failed.failure?.message).toBe('The library file /tmp/x.sqlite is locked by another program.');
    expect(failed.failure?.hint).toMatch(/Resume/);
    expect(failed.failure?.exitCode).toBe(1);
    expect(failed.failure?.log).toContain('reading photos…');
    expect(failed.resumable).toBe(true);
    const resumed = runner.resume(job.id);
    expect(resumed.title).toBe('Scanning (resumed)');
    expect((await finished(runner, resumed.id)).status).toBe('succeeded');
  });

  it('says a killed process was killed', async () => {
    const runner = new JobRunner(launcher);
    const job = runner.start({ kind: 'train', title: 'Training', args: ['oom'], resumeArgs: ['progress'] });
    const failed = await finished(runner, job.id);
    expect(failed.failure?.signal).toBe('SIGKILL');
    expect(failed.failure?.message).toMatch(/killed/);
    expect(failed.failure?.hint).toMatch(/smaller batch/);
  });

  it('cancels and pauses by asking the process to stop at a safe point', async () => {
    const runner = new JobRunner(launcher);
    const scan = runner.start({ kind: 'scan', title: 'Scanning', args: ['waits'], resumeArgs: ['waits'] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runner.cancel(scan.id).status).toBe('cancelling');
    const cancelled = await finished(runner, scan.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.failure).toBeNull();
    expect(cancelled.resumable).toBe(true);

    const train = runner.start({ kind: 'train', title: 'Training', args: ['waits'], resumeArgs: ['waits'] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    runner.pause(train.id);
    expect((await finished(runner, train.id)).status).toBe('paused');
    expect(() =>
      runner.pause(runner.start({ kind: 'map', title: 'Map', args: ['progress'], resumeArgs: null }).id),
    ).toThrow(/cannot be paused/);
  });
});
