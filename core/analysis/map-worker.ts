import { parentPort, workerData } from 'node:worker_threads';
import { computeMap, type MapInput, type MapOutput, type MapPhase } from './map-compute.ts';

/**
 * Thread entry of the map job: computes the map of the matrix it is given and posts progress,
 * then the result (its arrays transferred, not copied). Cancelling = terminating the thread; it
 * writes nothing, so there is nothing to clean up.
 */
export type MapWorkerMessage =
  | { type: 'progress'; phase: MapPhase; done: number; total: number }
  | { type: 'done'; output: MapOutput }
  | { type: 'error'; message: string };

const port = parentPort;
if (!port) throw new Error('map-worker.ts runs as a worker thread (see map-job.ts).');
const post = (message: MapWorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

try {
  const output = await computeMap(workerData as MapInput, {
    onProgress: (phase, done, total) => post({ type: 'progress', phase, done, total }),
  });
  post({ type: 'done', output }, [
    output.coordinates.buffer as ArrayBuffer,
    output.labels.buffer as ArrayBuffer,
  ]);
} catch (error) {
  post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
}
