import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { ApiEvent } from '../core/api.ts';
import { errorBody } from '../core/server/api-failure.ts';
import type { DinoscopeService } from '../core/server/dinoscope-service.ts';
import { InvalidRequest, isRequestName, validateRequest } from '../core/server/request-validation.ts';

/** The one IPC channel of requests, and the one of events (GitHub Desktop style: declared once, here). */
export const INVOKE_CHANNEL = 'dinoscope:invoke';
export const EVENT_CHANNEL = 'dinoscope:event';

/**
 * Requests from the renderer: only from the app's own page, only known requests, every argument
 * checked (`validateRequest`) before the core sees it. A failure travels as JSON in the error's
 * message (Electron keeps only the message), which the renderer decodes.
 */
export function registerIpcHandlers(
  ipcMain: Pick<IpcMain, 'handle'>,
  service: Pick<DinoscopeService, 'handle'>,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
): void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, name: unknown, args: unknown) => {
    try {
      if (!isTrustedSender(event)) throw new InvalidRequest('Request from an untrusted page.');
      if (!isRequestName(name)) throw new InvalidRequest(`Unknown request "${String(name)}".`);
      return await service.handle(name, validateRequest(name, args));
    } catch (error) {
      throw new Error(JSON.stringify(errorBody(error)));
    }
  });
}

/** Forwards core events to a window for as long as it lives. */
export function forwardEvents(
  service: Pick<DinoscopeService, 'onEvent'>,
  target: { send(channel: string, event: ApiEvent): void; isDestroyed(): boolean },
): () => void {
  const unsubscribe = service.onEvent((event) => {
    if (target.isDestroyed()) unsubscribe();
    else target.send(EVENT_CHANNEL, event);
  });
  return unsubscribe;
}
