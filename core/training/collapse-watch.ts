/**
 * Watches the loss and the teacher-output entropy for the two ways DINO collapses: uniform (the
 * teacher says nothing: entropy and loss stuck near ln(out_dim)) and one-hot (every image gets the
 * same prototype: entropy near 0). A uniform teacher is normal at the start, so that sign must hold
 * for `windowSteps` consecutive steps — unless the teacher had already become informative, when a
 * return to uniform is a collapse in progress, warned after a few steps; near-0 entropy never
 * happens by chance, also warned after a few steps. Each kind is reported once per run.
 */
export type CollapseKind = 'uniform' | 'one-hot';

export interface CollapseWarning {
  kind: CollapseKind;
  step: number;
  message: string;
}

/** Within this fraction of ln(out_dim) counts as "near ln(out_dim)". */
const NEAR_UNIFORM = 0.02;
/** Below this fraction of ln(out_dim) counts as "near 0". */
const NEAR_ONE_HOT = 0.02;
/** Below this fraction of ln(out_dim) the teacher clearly says something (a run that has started to learn). */
const INFORMATIVE = 0.9;
/**
 * A run whose teacher had become informative and then goes uniform, or any run whose teacher gives
 * one prototype to everything, collapsed for real (a random teacher starts near uniform, never one-hot):
 * those are warned after this many steps, not after the whole window.
 */
const SUDDEN_STEPS = 10;

export class CollapseWatch {
  private readonly logK: number;
  private uniformRun = 0;
  private oneHotRun = 0;
  private wasInformative = false;
  /** Consecutive steps with the entropy itself near ln(out_dim) after the teacher had been informative. */
  private relapseRun = 0;
  private readonly reported = new Set<CollapseKind>();

  constructor(
    private readonly outDim: number,
    private readonly windowSteps: number,
  ) {
    this.logK = Math.log(outDim);
  }

  /** Feeds one step; returns a warning the first time a collapse sign has lasted the whole window. */
  observe(step: number, loss: number, teacherEntropy: number | null): CollapseWarning | null {
    const uniformLoss = Math.abs(loss - this.logK) < NEAR_UNIFORM * this.logK;
    const uniformEntropy = teacherEntropy !== null && teacherEntropy > (1 - NEAR_UNIFORM) * this.logK;
    const oneHot = teacherEntropy !== null && teacherEntropy < NEAR_ONE_HOT * this.logK;
    this.uniformRun = uniformLoss || uniformEntropy ? this.uniformRun + 1 : 0;
    this.oneHotRun = oneHot ? this.oneHotRun + 1 : 0;
    this.relapseRun = this.wasInformative && uniformEntropy ? this.relapseRun + 1 : 0;
    if (teacherEntropy !== null && teacherEntropy < INFORMATIVE * this.logK) this.wasInformative = true;
    const sudden = this.relapseRun >= Math.min(SUDDEN_STEPS, this.windowSteps);
    if ((this.uniformRun >= this.windowSteps || sudden) && !this.reported.has('uniform')) {
      this.reported.add('uniform');
      return { kind: 'uniform', step, message: this.uniformMessage(step, loss, teacherEntropy) };
    }
    if (this.oneHotRun >= Math.min(SUDDEN_STEPS, this.windowSteps) && !this.reported.has('one-hot')) {
      this.reported.add('one-hot');
      return { kind: 'one-hot', step, message: this.oneHotMessage(step, teacherEntropy ?? 0) };
    }
    return null;
  }

  private uniformMessage(step: number, loss: number, entropy: number | null): string {
    const seen =
      entropy === null
        ? `loss ${loss.toFixed(3)}`
        : `loss ${loss.toFixed(3)}, teacher entropy ${entropy.toFixed(3)}`;
    return (
      `Training may have collapsed to a uniform output: ${seen} stayed near ln(out_dim) = ${this.logK.toFixed(3)} ` +
      `for ${this.uniformRun} steps (step ${step}). Usual remedies: a lower teacher temperature (--teacher-temp 0.04) ` +
      'or a longer teacher-temperature warm-up, a lower learning rate or longer lr warm-up, keep the last layer ' +
      `frozen longer (--freeze-last-layer), a smaller out_dim on small data (4096-8192; now ${this.outDim}), and ` +
      'enough varied photos (near-duplicates make the task trivial). Resume from an earlier checkpoint after changing them.'
    );
  }

  private oneHotMessage(step: number, entropy: number): string {
    return (
      `Training may have collapsed to one prototype: the teacher entropy stayed near 0 (${entropy.toFixed(3)}) ` +
      `for ${this.oneHotRun} steps (step ${step}). Usual remedies: a slightly higher teacher temperature ` +
      '(sharpening too strong for the centering), a faster center update (lower --center-momentum), a lower ' +
      'learning rate, and more varied photos. Resume from an earlier checkpoint after changing them.'
    );
  }
}
