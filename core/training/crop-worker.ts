import { parentPort, workerData } from 'node:worker_threads';
import { readTrainingCopy } from '../library/training-copy.ts';
import { openDatabase } from '../store/database.ts';
import { BatchProducer, type CropPipelineOptions, describeImage } from './crop-pipeline.ts';

/**
 * The crop pipeline's worker thread: reads training copies through its own read-only library
 * connection and cuts multi-crop batches, one per 'produce' message, in order, handing the view
 * buffers over without copying them.
 */
const options = workerData as CropPipelineOptions;
const port = parentPort;
if (!port) throw new Error('crop-worker.ts runs only as a worker thread (see crop-pipeline.ts).');

const source = options.source;
let readImage: (id: number) => Promise<{ width: number; height: number; data: Uint8Array }>;
let describe: (id: number) => string = (id) => `image ${id}`;
if ('images' in source) {
  readImage = async (index) => source.images[index];
} else {
  const db = openDatabase(source.libraryFile, { readonly: true });
  readImage = (id) => readTrainingCopy(db, id);
  describe = (id) => describeImage(db, id);
}

let producer: BatchProducer;
let queue: Promise<void> = Promise.resolve();
try {
  producer = new BatchProducer(options.imageIds, readImage, options, describe);
  port.on('message', (message: { type: string }) => {
    if (message.type !== 'produce') return;
    queue = queue.then(async () => {
      try {
        const batch = await producer.produce();
        port.postMessage(
          { type: 'batch', batch },
          batch.views.map((view) => view.data.buffer as ArrayBuffer),
        );
      } catch (error) {
        port.postMessage({ type: 'error', message: (error as Error).message });
      }
    });
  });
} catch (error) {
  port.postMessage({ type: 'error', message: (error as Error).message });
}
