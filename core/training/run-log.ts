import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HealthMeasurement } from './health-watch.ts';

/** One training step as it is logged (a JSON line in `<run dir>/steps.jsonl`) and shown. */
export interface StepRecord {
  /** Steps completed in the run after this one (1 for the first step). */
  step: number;
  epoch: number;
  loss: number;
  lr: number;
  weightDecay: number;
  momentum: number;
  teacherTemp: number;
  /** Mean entropy (nats) of the teacher's softmax output per image; null when the step does not report it. */
  teacherEntropy: number | null;
  imagesPerSecond: number | null;
  /** Unix ms when the step ended. */
  time: number;
  /** The feature-health measurement taken after this step, where one was due (feature-probe.ts). */
  health?: HealthMeasurement;
}

export const RUN_LOG_FILE = 'steps.jsonl';

/** Appends one line per step; a crash loses at most the line being written. */
export class RunLog {
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, RUN_LOG_FILE);
  }

  append(record: StepRecord): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /**
   * On resume the steps after the checkpoint are run again: drop their lines so that the log holds
   * each step once, as the uninterrupted run would have written it.
   */
  truncateAfter(step: number): void {
    if (!existsSync(this.file)) return;
    const kept = readRunLog(this.file).filter((record) => record.step <= step);
    const temporary = `${this.file}.tmp-${process.pid}`;
    writeFileSync(temporary, kept.map((record) => `${JSON.stringify(record)}\n`).join(''));
    renameSync(temporary, this.file);
  }
}

/** The logged steps of a run, oldest first; a torn last line (a crash mid-write) is skipped. */
export function readRunLog(fileOrDir: string): StepRecord[] {
  const file = fileOrDir.endsWith('.jsonl') ? fileOrDir : join(fileOrDir, RUN_LOG_FILE);
  if (!existsSync(file)) return [];
  const records: StepRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line) as StepRecord);
    } catch {
      // a line cut short by a crash
    }
  }
  return records;
}
