import type { ApiErrorBody, ApiEvent, DinoscopeBridge } from '../core/api.ts';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser (web mode). */
    dinoscope?: DinoscopeBridge;
  }
}

/** A request that failed, with the core's explanation and what to do. */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * The web mode's transport: requests over `POST /api/<name>`, events over a WebSocket that
 * reconnects by itself (the server restarting, a laptop waking up). The token came in the URL; the
 * server turned it into a same-site cookie, so it is dropped from the address bar.
 */
export function createWebBridge(): DinoscopeBridge {
  const listeners = new Set<(event: ApiEvent) => void>();
  const url = new URL(window.location.href);
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.toString());
  }
  let retryMs = 500;
  const connect = () => {
    const socket = new WebSocket(
      `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/events`,
    );
    socket.onopen = () => {
      retryMs = 500;
      for (const listener of listeners) listener({ type: 'library-changed', what: 'images' });
    };
    socket.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as ApiEvent;
      for (const listener of listeners) listener(event);
    };
    socket.onclose = () => {
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };
  connect();
  return {
    transport: 'web',
    async invoke(name, args) {
      let response: Response;
      try {
        response = await fetch(`/api/${name}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(args),
        });
      } catch {
        throw new RequestError(
          'dinoscope is not answering.',
          'Check that `dinoscope serve` is still running in its terminal, then reload this page.',
          0,
        );
      }
      const body = (await response.json()) as unknown;
      if (!response.ok) {
        const failure = body as ApiErrorBody;
        throw new RequestError(failure.error, failure.hint, response.status);
      }
      return body as never;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    mediaUrl: (kind, imageId) => `/media/${kind}/${imageId}`,
  };
}

export const bridge: DinoscopeBridge = window.dinoscope ?? createWebBridge();

/** Electron's IPC loses the error class: the main process encodes it as JSON in the message. */
export function explain(error: unknown): { message: string; hint?: string } {
  if (error instanceof RequestError) return { message: error.message, hint: error.hint };
  const text = error instanceof Error ? error.message : String(error);
  const encoded = /\{"error".*\}$/.exec(text);
  if (encoded) {
    try {
      const body = JSON.parse(encoded[0]) as ApiErrorBody;
      return { message: body.error, hint: body.hint };
    } catch {}
  }
  return { message: text };
}
