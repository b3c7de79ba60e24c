import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

/** Whether the machine has an NVIDIA GPU, independent of whether TensorFlow can use it. */
export interface GpuProbe {
  present: boolean;
  /** `nvidia-smi -L` output or the driver's device list; empty when none. */
  description: string;
}

export function detectNvidiaGpu(): GpuProbe {
  const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 3000 });
  if (smi.status === 0 && smi.stdout.trim()) {
    return { present: true, description: smi.stdout.trim().split('\n').join('; ') };
  }
  // The driver lists its devices here even when nvidia-smi is not on PATH.
  const driverFolder = '/proc/driver/nvidia/gpus';
  if (existsSync(driverFolder)) {
    const devices = readdirSync(driverFolder);
    if (devices.length > 0) return { present: true, description: `${devices.length} NVIDIA device(s)` };
  }
  return { present: false, description: '' };
}
