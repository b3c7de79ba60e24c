import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../engine/backend.ts';
import {
  type ReplicaReply,
  type ReplicaRequest,
  type ReplicaSetup,
  readGradients,
  replicaRandom,
  shareGradients,
  writeGradients,
} from './data-parallel-training.ts';
import { DinoTrainingState } from './train-step.ts';

/**
 * A worker replica of data-parallel training (see data-parallel-training.ts): it computes the
 * gradients of its share of each batch into shared memory, then applies the summed update.
 * Messages are handled one at a time, in order.
 */
const setup = workerData as ReplicaSetup;
const port = parentPort;
if (!port) throw new Error('data-parallel-worker.ts runs only as a worker thread.');
const reply = (message: ReplicaReply) => port.postMessage(message);

try {
  await initBackend({ prefer: setup.backend });
  const state = DinoTrainingState.fromNamedTensors(setup.model, setup.state, setup.settings);
  const names = state.trainableNames;
  const shapes = state.trainableShapes();
  const own = new Float32Array(setup.own);
  const sum = new Float32Array(setup.sum);
  const outDim = setup.model.head.outDim;
  port.on('message', (message: ReplicaRequest) => {
    try {
      if (message.type === 'gradients') {
        const started = performance.now();
        const shard = shareGradients(
          state,
          message.views,
          message.schedule,
          replicaRandom(message.seed, message.index),
          message.weight,
        );
        writeGradients(own, names, shard.gradients, shard.teacherOutputSum.dataSync() as Float32Array);
        tf.dispose([...shard.gradients.values(), shard.teacherOutputSum]);
        reply({
          type: 'gradients',
          loss: shard.loss,
          teacherEntropy: shard.teacherEntropy,
          teacherRows: shard.teacherRows,
          seconds: (performance.now() - started) / 1000,
        });
      } else if (message.type === 'update') {
        const gradients = readGradients(sum, names, shapes);
        const center = tf.tensor2d(message.batchCenter, [1, outDim]);
        state.applyUpdate(gradients, message.schedule, center);
        center.dispose();
      } else if (message.type === 'state') {
        reply({ type: 'state', tensors: state.toNamedTensors() });
      }
    } catch (error) {
      reply({ type: 'error', message: (error as Error).message });
    }
  });
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'error', message: (error as Error).message });
}
