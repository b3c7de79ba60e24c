import type { UtilityProcess } from 'electron';
import type { CliLauncher } from '../core/jobs/cli-process.ts';
import { stopMessage } from '../core/jobs/stop-request.ts';

type Fork = (
  modulePath: string,
  args: string[],
  options: { stdio: 'pipe'; serviceName: string },
) => UtilityProcess;

/**
 * In the app, each background job is the CLI (`dinoscope --events ...`) in an Electron
 * `utilityProcess`: Node without a window, so training or a crash never freezes or kills the UI.
 */
export function utilityProcessLauncher(fork: Fork, cliEntry: string, libraryFile: string): CliLauncher {
  return (args) => {
    const child = fork(cliEntry, ['--db', libraryFile, '--events', ...args], {
      stdio: 'pipe',
      serviceName: `dinoscope ${args[0] ?? 'job'}`,
    });
    const { stdout, stderr } = child;
    if (!stdout || !stderr) throw new Error('The background process has no output streams.');
    return {
      stdout,
      stderr,
      // Pause and cancel ask through the process's own channel (`process.parentPort` in the job): the
      // CLI stops at its next safe point on every OS. utilityProcess.kill() would end it at once; the
      // job runner does that only when the job has not stopped within its grace period.
      interrupt: () => child.postMessage(stopMessage('interrupt')),
      terminate: () => child.postMessage(stopMessage('terminate')),
      kill: () => child.kill(),
      onExit: (listener) => {
        child.once('exit', (code) => listener(code, null));
      },
    };
  };
}
