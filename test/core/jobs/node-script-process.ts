import { spawn } from 'node:child_process';
import type { CliProcess } from '../../../core/jobs/cli-process.ts';

/**
 * A Node child running `script` (node -e) as a CliProcess, for tests that stand a small script in
 * for the CLI: the stops are plain signals (SIGINT, SIGTERM, SIGKILL) the script can listen to.
 */
export function nodeScriptProcess(script: string): CliProcess {
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    stdout: child.stdout,
    stderr: child.stderr,
    interrupt: () => child.kill('SIGINT'),
    terminate: () => child.kill('SIGTERM'),
    kill: () => child.kill('SIGKILL'),
    onExit: (listener) => child.on('exit', (code, signal) => listener(code, signal)),
  };
}
