import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopMessage } from './stop-request.ts';

/**
 * A background `dinoscope` CLI process as the job runner sees it. The web mode spawns a Node child
 * process; Electron forks a `utilityProcess`. Both give line streams, a graceful stop asked through
 * the process's IPC channel (stop-request.ts: the CLI's Ctrl-C, on every OS) and a hard kill.
 */
export interface CliProcess {
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Like Ctrl-C (SIGINT): the command stops at its next safe point, keeping what it saved (training pauses). */
  interrupt(): void;
  /** Like SIGTERM: training takes it as cancel (it still keeps its checkpoints). */
  terminate(): void;
  /** Ends it now (a job that does not stop gracefully in time). */
  kill(): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
}

/** Starts `dinoscope --db <library> --events <args...>`. */
export type CliLauncher = (args: string[]) => CliProcess;

/**
 * The CLI entry: from the sources, the launcher that registers tsx and runs `core/cli/main.ts`; in
 * the engine bundle (which rewrites this URL), the bundle's own `dinoscope.js`.
 */
export const cliEntry = fileURLToPath(new URL('../cli/dinoscope.js', import.meta.url));

/** The web mode's launcher: a plain Node child process running the CLI, one per job. */
export function nodeCliLauncher(libraryFile: string, entry = cliEntry): CliLauncher {
  return (args) => {
    const child = spawn(process.execPath, [entry, '--db', libraryFile, '--events', ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    // The stop request travels on the IPC channel; a process that has already closed it gets the signal.
    const ask = (kind: 'interrupt' | 'terminate') => {
      const signal = kind === 'interrupt' ? 'SIGINT' : 'SIGTERM';
      if (!child.connected) child.kill(signal);
      else child.send(stopMessage(kind), (error) => error && child.kill(signal));
    };
    const { stdout, stderr } = child;
    if (!stdout || !stderr) throw new Error('The background process has no output streams.');
    return {
      stdout,
      stderr,
      interrupt: () => ask('interrupt'),
      terminate: () => ask('terminate'),
      kill: () => child.kill('SIGKILL'),
      onExit: (listener) => {
        child.on('exit', (code, signal) => listener(code, signal));
        // A spawn failure (no such executable) never reaches 'exit'.
        child.on('error', (error) => {
          stderr.emit('data', Buffer.from(`dinoscope: ${error.message}\n`));
          listener(null, null);
        });
      },
    };
  };
}
