import { contextBridge, ipcRenderer } from 'electron';
import { createIpcBridge } from './preload-bridge.ts';

// The sandboxed renderer's one door to the core: the typed contract of core/api.ts.
contextBridge.exposeInMainWorld('dinoscope', createIpcBridge(ipcRenderer));
