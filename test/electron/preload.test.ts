import { describe, expect, it, vi } from 'vitest';

const stub = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invoked: [] as unknown[][],
  listeners: new Map<string, (...args: unknown[]) => void>(),
}));

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => stub.exposed.set(key, value) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      stub.invoked.push(args);
      return 'answer';
    },
    on: (channel: string, listener: (...args: unknown[]) => void) => stub.listeners.set(channel, listener),
    removeListener: (channel: string) => stub.listeners.delete(channel),
  },
}));

describe('preload', () => {
  it('exposes exactly one typed object, never ipcRenderer itself', async () => {
    await import('../../electron/preload.ts');
    expect([...stub.exposed.keys()]).toEqual(['dinoscope']);
    const bridge = stub.exposed.get('dinoscope') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['invoke', 'mediaUrl', 'onEvent', 'transport']);
    expect(bridge.transport).toBe('electron');

    const invoke = bridge.invoke as (name: string, args: unknown) => Promise<unknown>;
    expect(await invoke('library.status', {})).toBe('answer');
    expect(stub.invoked).toEqual([['dinoscope:invoke', 'library.status', {}]]);

    const events: unknown[] = [];
    const unsubscribe = (bridge.onEvent as (listener: (event: unknown) => void) => () => void)((event) =>
      events.push(event),
    );
    // The renderer's listener gets the payload only, never Electron's event object (and its sender).
    stub.listeners.get('dinoscope:event')?.(
      { sender: 'secret' },
      { type: 'library-changed', what: 'images' },
    );
    expect(events).toEqual([{ type: 'library-changed', what: 'images' }]);
    unsubscribe();
    expect(stub.listeners.has('dinoscope:event')).toBe(false);

    expect((bridge.mediaUrl as (kind: string, id: number) => string)('thumbnail', 42)).toBe(
      'dinoscope://media/thumbnail/42',
    );
  });
});
