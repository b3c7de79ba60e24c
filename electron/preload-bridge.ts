import type { IpcRenderer, IpcRendererEvent } from 'electron';
import type { ApiEvent, DinoscopeBridge } from '../core/api.ts';
import { APP_SCHEME } from './security.ts';

export const INVOKE_CHANNEL = 'dinoscope:invoke';
export const EVENT_CHANNEL = 'dinoscope:event';

/**
 * The object the preload exposes as `window.dinoscope`: exactly the contract, nothing of
 * `ipcRenderer` itself (the page cannot send on other channels or see the event object).
 */
export function createIpcBridge(ipc: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>): DinoscopeBridge {
  return {
    transport: 'electron',
    invoke: (name, args) => ipc.invoke(INVOKE_CHANNEL, name, args),
    onEvent(listener) {
      const handler = (_event: IpcRendererEvent, payload: ApiEvent) => listener(payload);
      ipc.on(EVENT_CHANNEL, handler);
      return () => {
        ipc.removeListener(EVENT_CHANNEL, handler);
      };
    },
    mediaUrl: (kind, imageId) => `${APP_SCHEME}://media/${kind}/${Math.trunc(imageId)}`,
  };
}
