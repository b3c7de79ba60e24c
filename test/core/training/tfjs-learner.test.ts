import { afterEach, describe, expect, it } from 'vitest';
import type { HostTensor } from '../../../core/engine/host-tensor.ts';
import { backboneConfig, resolveTrainingConfig } from '../../../core/training/config.ts';
import { createTfjsLearner } from '../../../core/training/tfjs-learner.ts';
import { lcg, TINY_TRAINING_HEAD, TINY_TRAINING_VIT } from './tiny-dino.ts';

const config = resolveTrainingConfig({
  ...TINY_TRAINING_VIT,
  ...TINY_TRAINING_HEAD,
  batchSize: 6,
  replicas: 1,
});

function views(): HostTensor[] {
  const random = lcg(11);
  const sizes = [32, 32, 16, 16];
  return sizes.map((size) => {
    const data = new Float32Array(6 * size * size * 3);
    for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
    return { shape: [6, size, size, 3], data };
  });
}

const values = {
  epoch: 1,
  lr: 1e-3,
  weightDecay: 0.04,
  momentum: 0.99,
  teacherTemp: 0.04,
  freezeLastLayer: false,
  seed: 3,
};

async function oneStep(): Promise<{ loss: number; info: string[] }> {
  const info: string[] = [];
  const learner = await createTfjsLearner({
    config,
    vit: backboneConfig(config),
    state: null,
    completedSteps: 0,
    initialWeights: null,
    onInfo: (message) => info.push(message),
  });
  try {
    const { loss } = await learner.step(views(), values);
    return { loss, info };
  } finally {
    await learner.dispose();
  }
}

describe('the tfjs learner', () => {
  const saved = process.env.DINOSCOPE_GPU_MEMORY_GB;
  afterEach(() => {
    if (saved === undefined) delete process.env.DINOSCOPE_GPU_MEMORY_GB;
    else process.env.DINOSCOPE_GPU_MEMORY_GB = saved;
  });

  it('runs the student in micro-batches when the memory budget asks for it, says so, and takes the same step', async () => {
    delete process.env.DINOSCOPE_GPU_MEMORY_GB;
    const whole = await oneStep();
    // A budget this tiny fits nothing: the trainer goes down to one image at a time.
    process.env.DINOSCOPE_GPU_MEMORY_GB = '0.000001';
    const micro = await oneStep();
    expect(whole.info).toEqual([]);
    expect(micro.info[0]).toMatch(/^Each step runs the student in 6 micro-batches of 1 /);
    expect(micro.loss).toBeCloseTo(whole.loss, 5);
  });
});
