import type { UtilityProcess } from 'electron';
import type { CliLauncher } from '../core/jobs/cli-process.ts';

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
      // SIGINT is the CLI's "stop at the next safe point"; utilityProcess.kill() would end it at once.
      interrupt: () => {
        if (child.pid) process.kill(child.pid, 'SIGINT');
        else child.kill();
      },
      terminate: () => {
        if (child.pid) process.kill(child.pid, 'SIGTERM');
        else child.kill();
      },
      kill: () => child.kill(),
      onExit: (listener) => {
        child.once('exit', (code) => listener(code, null));
      },
    };
  };
}
