import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { utilityProcessLauncher } from '../../electron/job-process.ts';

describe('jobs in an Electron utilityProcess', () => {
  it('forks the CLI with the library and --events, and asks it to stop through its IPC port', () => {
    const forks: { modulePath: string; args: string[]; options: unknown }[] = [];
    const child = Object.assign(new EventEmitter(), {
      pid: 4242,
      stdout: new PassThrough(),
      stderr: new PassThrough(),
      kill: vi.fn(),
      postMessage: vi.fn(),
    });
    const launch = utilityProcessLauncher(
      (modulePath, args, options) => {
        forks.push({ modulePath, args, options });
        return child as never;
      },
      '/app/core/cli/dinoscope.js',
      '/home/me/library.sqlite',
    );
    // No POSIX signal: on Windows it would be a hard kill, losing the checkpoint in flight.
    const kill = vi.spyOn(process, 'kill');
    const job = launch(['train', '--preset', 'quick']);
    expect(forks).toEqual([
      {
        modulePath: '/app/core/cli/dinoscope.js',
        args: ['--db', '/home/me/library.sqlite', '--events', 'train', '--preset', 'quick'],
        options: { stdio: 'pipe', serviceName: 'dinoscope train' },
      },
    ]);
    job.interrupt();
    job.terminate();
    expect(child.postMessage.mock.calls).toEqual([
      [{ type: 'dinoscope:stop', kind: 'interrupt' }],
      [{ type: 'dinoscope:stop', kind: 'terminate' }],
    ]);
    expect(kill).not.toHaveBeenCalled();
    expect(child.kill).not.toHaveBeenCalled();
    job.kill();
    expect(child.kill).toHaveBeenCalled();
    const exits: (number | null)[] = [];
    job.onExit((code) => exits.push(code));
    child.emit('exit', 3);
    expect(exits).toEqual([3]);
    kill.mockRestore();
  });
});
