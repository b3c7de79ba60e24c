import type { HostTensor, NamedTensors } from '../engine/host-tensor.ts';
import type { VitConfig } from '../model/vit-config.ts';
import type { TrainingConfig } from './config.ts';
import type { InitialWeights } from './training-plan.ts';

/**
 * What the trainer needs from a DINO training state: one full step on a batch of views, and the
 * state as tensors with the reference's names (for checkpoints) and the teacher backbone (for the
 * library model). The tfjs implementation wraps the model engineer's `train-step.ts`.
 */
export interface StepValues {
  epoch: number;
  lr: number;
  weightDecay: number;
  momentum: number;
  teacherTemp: number;
  /** True while the head's last layer is frozen (the first `freezeLastLayer` epochs). */
  freezeLastLayer: boolean;
  /** Seeds the step's own randomness (drop-path), drawn from the run's generator. */
  seed: number;
}

export interface StepOutcome {
  loss: number;
  /** Mean entropy (nats) of the teacher's output distribution per image; null when not measured. */
  teacherEntropy: number | null;
}

export interface DinoLearner {
  /** One step: teacher forward on the 2 global views, student forward + backward on all, AdamW, EMA. */
  step(views: HostTensor[], values: StepValues): Promise<StepOutcome>;
  /**
   * Fetches the state to the CPU without blocking, so that the synchronous exports below can run
   * where reads cannot block (WebGPU in Node). Optional: CPU learners need nothing.
   */
  prepareExport?(): Promise<void>;
  /** student.*, teacher.*, optimizer.exp_avg(_sq).*, dino_loss.center. */
  exportState(): NamedTensors;
  /** The teacher backbone with the official names (`blocks.0.attn.qkv.weight`, ...). */
  teacherBackbone(): NamedTensors;
  dispose(): Promise<void>;
}

export interface LearnerRequest {
  config: TrainingConfig;
  vit: VitConfig;
  /** A checkpoint's state to continue from, or null for a new run. */
  state: NamedTensors | null;
  /** Steps the checkpoint had completed (AdamW's step count follows from it). */
  completedSteps: number;
  initialWeights: InitialWeights | null;
  /** Told what the learner decided on its own (micro-batches, an out-of-memory retry). */
  onInfo?: (message: string) => void;
}

export type LearnerFactory = (request: LearnerRequest) => Promise<DinoLearner>;
