/**
 * Judges the feature-health measurements of a run (feature-probe.ts) as they come: whether the
 * features still improve, whether they collapsed, and — for a guarded adaptation of good weights —
 * whether they got worse than the best seen. The trainer shows the figures and passes the
 * warnings on; a guarded run stops on degradation and keeps its best model.
 */
export interface HealthMeasurement {
  step: number;
  epoch: number;
  /** Effective rank (RankMe) of the teacher's CLS embeddings of the probe sample. */
  effectiveRank: number;
  /** % of probe photos whose second view (another crop, flipped, colour-jittered) finds its own centre crop first. */
  viewRetrieval: number;
  /** Share of each probe photo's 10 nearest neighbours unchanged since the previous measurement; null for the first. */
  neighbourAgreement: number | null;
  /** Weighted k-NN top-1 / top-5 (%) on the labelled sample, where the folders are class-named and it was measured. */
  knnTop1: number | null;
  knnTop5: number | null;
}

export interface HealthVerdict {
  /** Better than every earlier measurement (k-NN top-1 where measured, else effective rank). */
  best: boolean;
  /** Warnings to show now (stalled, collapsed). */
  warnings: string[];
  /** For a guarded run: why it must stop (worse than its best by more than the threshold). */
  degraded: string | null;
}

export interface HealthWatchOptions {
  /** Steps without improvement before the "not learning" warning. */
  patienceSteps: number;
  /** Points of view retrieval over its best that count as an improvement. */
  minRetrievalGain: number;
  /** Points of k-NN top-1 over its best that count as an improvement. */
  minKnnGain: number;
  /** Stop when view retrieval or k-NN top-1 falls this many points below its best; null = never. */
  guard: { retrievalDrop: number; knnDrop: number } | null;
  /** The run's settings, for the remedies. */
  lr: number;
  outDim: number;
}

/**
 * An effective rank below this share of the starting one is a collapse in progress: the photos
 * crowd into a few directions. Learning lowers it too, so only a steep fall counts: on
 * imagenette-dev (bench/README.md) a run that learned (k-NN 28.9 -> 33.4 %) fell to 0.39 of its
 * start, a partial collapse (k-NN 28.9 -> 24.9 %) to 0.21; 5 synthetic classes learning 0.65, a
 * forced collapse 0.30.
 */
const COLLAPSED_SHARE = 0.3;
/**
 * With class-named folders k-NN tells a learning run from a collapsing one: there a fall below this
 * share counts only while k-NN is more than a point below its best.
 */
const COLLAPSED_SHARE_LABELLED = 0.4;
/**
 * Neighbour agreement at least this high means the teacher has practically stopped changing (a run
 * that learns measured 0.98-0.99 between measurements 6 steps apart; lr 0 gives exactly 1).
 */
const FROZEN_AGREEMENT = 0.995;

export const NO_GPU_ADVICE =
  'DINO from scratch needs thousands of steps before its features beat an untrained network (the cpu preset passed raw pixels after ~300 steps on 2,000 photos; larger models and crops need far more, hours to days on a CPU); ' +
  '`dinoscope weights fetch dino-vits16`, then `dinoscope embed` and `dinoscope map`, gives good features in minutes.';

export class HealthWatch {
  private first: HealthMeasurement | null = null;
  private bestRank = 0;
  private bestRetrieval = 0;
  private bestKnn: number | null = null;
  private lastKnn: number | null = null;
  private bestScore = Number.NEGATIVE_INFINITY;
  private lastImprovementStep = 0;
  private stalledWarned = false;
  /** Whether k-NN is measured (class-named folders): then it alone decides what improving means. */
  private labelled = false;
  private collapseWarned = false;

  constructor(private readonly options: HealthWatchOptions) {}

  observe(measurement: HealthMeasurement): HealthVerdict {
    const { step, effectiveRank: rank, knnTop1 } = measurement;
    const warnings: string[] = [];
    if (knnTop1 !== null) this.labelled = true;
    if (!this.first) {
      this.first = measurement;
      this.bestRank = rank;
      this.bestRetrieval = measurement.viewRetrieval;
      this.bestKnn = knnTop1;
      this.bestScore = this.score(measurement);
      this.lastImprovementStep = step;
      return { best: true, warnings, degraded: null };
    }
    const start = this.first.effectiveRank;
    this.lastKnn = knnTop1 ?? this.lastKnn;
    const knnFell = this.lastKnn !== null && this.bestKnn !== null && this.lastKnn < this.bestKnn - 1;
    const collapsing = this.labelled
      ? rank < COLLAPSED_SHARE_LABELLED * start && knnFell
      : rank < COLLAPSED_SHARE * start;
    if (!this.collapseWarned && collapsing) {
      this.collapseWarned = true;
      warnings.push(
        `The features collapsed at step ${step}: the effective rank of the teacher's embeddings of the probe photos ` +
          `fell to ${rank.toFixed(2)} (from ${start.toFixed(1)} at the start): the photos crowd into a few directions. ` +
          'Usual remedies: a lower learning rate or a longer lr warm-up, a lower teacher temperature (--teacher-temp 0.04), ' +
          'the teacher-output centering on (--set centerMomentum=0.9), the last layer frozen longer (--freeze-last-layer 1), ' +
          `a smaller out_dim on small data (4096-8192; now ${this.options.outDim}). Resume from an earlier checkpoint after changing them.`,
      );
    }
    const retrievalImproved = measurement.viewRetrieval > this.bestRetrieval + this.options.minRetrievalGain;
    const knnImproved =
      knnTop1 !== null && (this.bestKnn === null || knnTop1 > this.bestKnn + this.options.minKnnGain);
    // With labels, k-NN is the truth: view retrieval can keep rising (crop invariance) while the
    // classes do not separate, as in a from-scratch CPU run whose k-NN stayed at the untrained level.
    if (this.labelled ? knnImproved : retrievalImproved) {
      this.lastImprovementStep = step;
      this.stalledWarned = false;
    }
    const degraded = this.degradation(measurement);
    this.bestRank = Math.max(this.bestRank, rank);
    this.bestRetrieval = Math.max(this.bestRetrieval, measurement.viewRetrieval);
    if (knnTop1 !== null) this.bestKnn = Math.max(this.bestKnn ?? knnTop1, knnTop1);
    const score = this.score(measurement);
    const best = score > this.bestScore;
    if (best) this.bestScore = score;
    if (
      !this.stalledWarned &&
      !this.collapseWarned &&
      step - this.lastImprovementStep >= this.options.patienceSteps
    ) {
      this.stalledWarned = true;
      warnings.push(this.stalledMessage(measurement));
    }
    return { best, warnings, degraded };
  }

  /** What "best" ranks by: k-NN top-1 where the folders give labels, else view retrieval. */
  private score(measurement: HealthMeasurement): number {
    return measurement.knnTop1 ?? measurement.viewRetrieval;
  }

  private degradation(measurement: HealthMeasurement): string | null {
    const guard = this.options.guard;
    if (!guard) return null;
    const { viewRetrieval, knnTop1, step } = measurement;
    if (knnTop1 !== null && this.bestKnn !== null && knnTop1 < this.bestKnn - guard.knnDrop) {
      return `k-NN top-1 on the labelled sample fell to ${knnTop1.toFixed(1)} % at step ${step}, ${(this.bestKnn - knnTop1).toFixed(1)} points below its best ${this.bestKnn.toFixed(1)} % (threshold ${guard.knnDrop})`;
    }
    if (viewRetrieval < this.bestRetrieval - guard.retrievalDrop) {
      return `view retrieval fell to ${viewRetrieval.toFixed(1)} % at step ${step}, ${(this.bestRetrieval - viewRetrieval).toFixed(1)} points below its best ${this.bestRetrieval.toFixed(1)} % (threshold ${guard.retrievalDrop})`;
    }
    return null;
  }

  private stalledMessage(measurement: HealthMeasurement): string {
    const first = this.first as HealthMeasurement;
    const steps = measurement.step - this.lastImprovementStep;
    const figures = [
      `view retrieval ${measurement.viewRetrieval.toFixed(1)} % (start ${first.viewRetrieval.toFixed(1)} %, best ${this.bestRetrieval.toFixed(1)} %)`,
      `effective rank ${measurement.effectiveRank.toFixed(1)} (start ${first.effectiveRank.toFixed(1)}, best ${this.bestRank.toFixed(1)})`,
    ];
    if (measurement.knnTop1 !== null && first.knnTop1 !== null)
      figures.push(`k-NN top-1 ${measurement.knnTop1.toFixed(1)} % (start ${first.knnTop1.toFixed(1)} %)`);
    if (measurement.neighbourAgreement !== null)
      figures.push(`${(100 * measurement.neighbourAgreement).toFixed(0)} % of 10-NN unchanged`);
    const frozen = (measurement.neighbourAgreement ?? 0) >= FROZEN_AGREEMENT;
    const remedies = frozen
      ? `The teacher barely changes: the learning rate (now ${this.options.lr}) may be too low or 0, or the teacher momentum too close to 1.`
      : 'Usual remedies: a smaller model or crops so that more steps fit (--preset quick), a higher learning rate ' +
        'after a longer warm-up, a lower teacher temperature, a smaller out_dim (4096-8192 on small data).';
    return (
      `The features have not improved for ${steps} steps (step ${measurement.step}): ${figures.join(', ')}. ${remedies} ` +
      NO_GPU_ADVICE
    );
  }
}
