// The bridge between the sandboxed renderer and the main process; it grows with core/api.ts.
export {};
