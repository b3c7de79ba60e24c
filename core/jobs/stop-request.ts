/**
 * How the app asks a job process to stop: a message on the process's IPC channel, not a POSIX
 * signal (Windows has no SIGINT or SIGTERM to send another process: Node's `kill()` there ends it
 * at once, and the checkpoint or batch in flight is lost). The job process turns the message into
 * the signal its command already handles, so a terminal's Ctrl-C and the app's Pause take the same
 * path: `interrupt` is Ctrl-C (stop at the next safe point; training pauses), `terminate` is
 * SIGTERM (training's cancel, still keeping its checkpoints).
 */
export const STOP_MESSAGE = 'dinoscope:stop';

export type StopKind = 'interrupt' | 'terminate';

export interface StopMessage {
  type: typeof STOP_MESSAGE;
  kind: StopKind;
}

export function stopMessage(kind: StopKind): StopMessage {
  return { type: STOP_MESSAGE, kind };
}

export function isStopMessage(value: unknown): value is StopMessage {
  if (!value || typeof value !== 'object') return false;
  const { type, kind } = value as Record<string, unknown>;
  return type === STOP_MESSAGE && (kind === 'interrupt' || kind === 'terminate');
}

/** Electron's `process.parentPort` in a utilityProcess (typed here: core/ knows no Electron). */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  off?(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  removeListener?(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

/** The exit codes a shell gives a process ended by SIGINT and SIGTERM. */
const EXIT_CODE: Record<StopKind, number> = { interrupt: 130, terminate: 143 };

/** Acts on a stop request as on the signal: the command's handler runs, or the process ends like a signalled one. */
export function deliverStopRequest(kind: StopKind, target: NodeJS.Process = process): void {
  const signal = kind === 'interrupt' ? 'SIGINT' : 'SIGTERM';
  if (target.listenerCount(signal) > 0) target.emit(signal, signal);
  else target.exit(EXIT_CODE[kind]);
}

/**
 * In the job process: listens for stop requests from the parent, on Node's IPC channel (a CLI
 * spawned with one, as the web mode does) and on Electron's `parentPort` (a utilityProcess), without
 * keeping the process alive once its work is done. Returns the function that stops listening.
 */
export function listenForStopRequests(target: NodeJS.Process = process): () => void {
  const onMessage = (message: unknown) => {
    if (isStopMessage(message)) deliverStopRequest(message.kind, target);
  };
  const onPortMessage = (event: { data: unknown }) => onMessage(event.data);
  const port = (target as NodeJS.Process & { parentPort?: ParentPort }).parentPort;
  if (target.channel) {
    target.on('message', onMessage);
    // A listener refs the channel; the job must still end when its work does.
    target.channel.unref();
  }
  port?.on('message', onPortMessage);
  return () => {
    target.off('message', onMessage);
    if (port?.off) port.off('message', onPortMessage);
    else port?.removeListener?.('message', onPortMessage);
  };
}
