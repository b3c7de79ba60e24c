/**
 * `npm run bench:label`: the labelling tools at 100,000 photos, each figure next to its anchor
 * measured in the same run on the same vectors.
 *
 *   propagation   seconds to suggest a tag for every untagged photo from 1,000 tagged ones
 *                 (20 tags, DINO k = 20, T = 0.07) with propagateTags (ONNX Runtime Gemm + TopK
 *                 tiles where it loads), next to the naive version (score every tagged photo, sort them
 *                 all, vote), timed on 2,000 untagged photos and scaled to all of them. Goal < 2 s.
 *   k-center      seconds to pick 1,000 of 100,000 with kCenterGreedy (every photo's distance
 *                 to the picks brought up to date by one matrix product per 32 picks, a lazy
 *                 max-heap between), next to the textbook traversal (a full scan of the matrix per
 *                 pick), timed on its first 50 picks and scaled to 1,000 (its cost is the same per
 *                 pick); the two must agree on those 50 picks. Goal < 5 s.
 *
 * Vectors: 100,000 × 384 L2-normalised rows around 1,000 random centres with wide noise (seeded):
 * a photo collection is many groups of similar photos, not one Gaussian cloud. `--centres N`
 * changes the grouping (fewer, larger groups prune less).
 */

import { parseArgs } from 'node:util';
import { normalizeRows } from '../core/analysis/cosine-top-k.ts';
import { kCenterGreedy } from '../core/analysis/k-center.ts';
import { propagateTags } from '../core/analysis/tag-propagation.ts';

const { values: flags } = parseArgs({
  options: { centres: { type: 'string', default: '1000' }, count: { type: 'string', default: '100000' } },
});
const DIM = 384;
const COUNT = Number(flags.count);
const CENTRES = Number(flags.centres);
const TAGGED = 1_000;
const TAGS = 20;
const K = 20;
const T = 0.07;
const PICKS = 1_000;

function uniformSource(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = uniformSource(1);
const centres = new Float32Array(CENTRES * DIM).map(() => uniform() - 0.5);
const centreOf = new Int32Array(COUNT);
const vectors = new Float32Array(COUNT * DIM);
for (let r = 0; r < COUNT; r++) {
  const centre = Math.floor(uniform() * CENTRES);
  centreOf[r] = centre;
  for (let c = 0; c < DIM; c++) vectors[r * DIM + c] = centres[centre * DIM + c] + 0.6 * (uniform() - 0.5);
}
normalizeRows(vectors, COUNT, DIM);

const seconds = (t0: number) => (performance.now() - t0) / 1000;
/** CPU seconds of this process (every thread) since `c0`: on a shared machine, wall time includes waiting for a core. */
const cpu = (c0: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(c0);
  return (used.user + used.system) / 1e6;
};
const print = (label: string, value: string, note = '') =>
  console.log(`${label.padEnd(46)} ${value.padStart(10)}  ${note}`);

console.log(
  `bench:label — ${new Date().toISOString()}, ${COUNT.toLocaleString('en')} × ${DIM}, ${CENTRES} centres`,
);

// ---------------------------------------------------------------- propagation
// Every 100th photo is tagged with its centre's tag (centre mod 20).
const taggedRows = Int32Array.from({ length: TAGGED }, (_, i) => Math.floor((i * COUNT) / TAGGED));
const tagOf = (row: number) => centreOf[row] % TAGS;
const input = {
  vectors,
  count: COUNT,
  dim: DIM,
  taggedRows,
  tagOffsets: Int32Array.from({ length: TAGGED + 1 }, (_, i) => i),
  tagIndices: Int32Array.from(taggedRows, tagOf),
  tagCount: TAGS,
};
console.log(
  `\npropagation: ${TAGGED} tagged (${TAGS} tags) → ${(COUNT - TAGGED).toLocaleString('en')} untagged`,
);
let t0 = performance.now();
let c0 = process.cpuUsage();
const propagation = await propagateTags(input, { k: K, temperature: T });
const fast = seconds(t0);
print(
  `propagateTags (${propagation.engine})`,
  `${fast.toFixed(2)} s`,
  `CPU ${cpu(c0).toFixed(2)} s; goal < 2 s`,
);

/** The textbook rule: per untagged photo, every tagged similarity into objects, full sort, vote. */
function naiveSuggest(row: number): number {
  const scored: { tagged: number; similarity: number }[] = [];
  for (let t = 0; t < TAGGED; t++) {
    let s = 0;
    const a = row * DIM;
    const b = taggedRows[t] * DIM;
    for (let c = 0; c < DIM; c++) s += vectors[a + c] * vectors[b + c];
    scored.push({ tagged: t, similarity: s });
  }
  scored.sort((x, y) => y.similarity - x.similarity);
  const votes = new Float64Array(TAGS);
  for (const { tagged, similarity } of scored.slice(0, K))
    votes[tagOf(taggedRows[tagged])] += Math.exp(similarity / T);
  let best = 0;
  for (let g = 1; g < TAGS; g++) if (votes[g] > votes[best]) best = g;
  return best;
}
const sample = 2_000;
let agree = 0;
t0 = performance.now();
c0 = process.cpuUsage();
for (let i = 0; i < sample; i++) {
  const row = propagation.rows[Math.floor((i * propagation.rows.length) / sample)];
  if (naiveSuggest(row) === propagation.suggested[Math.floor((i * propagation.rows.length) / sample)])
    agree++;
}
const naive = (seconds(t0) * propagation.rows.length) / sample;
const naiveCpu = (cpu(c0) * propagation.rows.length) / sample;
print(
  'naive JS (anchor, scaled from 2,000 photos)',
  `${naive.toFixed(2)} s`,
  `CPU ${naiveCpu.toFixed(2)} s; ×${(naive / fast).toFixed(1)}`,
);
print('same suggestion as the naive rule', `${agree}/${sample}`);
let correct = 0;
propagation.rows.forEach((row, i) => {
  if (propagation.suggested[i] === tagOf(row)) correct++;
});
// Tags are centre mod 20 and about one photo per centre is tagged: a centre without a tagged
// photo gets a neighbouring centre's tag, so this is well below 100 % by design.
print('suggestion = planted tag', `${((100 * correct) / propagation.rows.length).toFixed(1)} %`);

// ---------------------------------------------------------------- k-center
console.log(`\nk-center: ${PICKS} of ${COUNT.toLocaleString('en')}`);
t0 = performance.now();
c0 = process.cpuUsage();
const picked = await kCenterGreedy(vectors, COUNT, DIM, PICKS, { nearDuplicateSimilarity: 1 });
const kc = seconds(t0);
print(
  `kCenterGreedy (${COUNT * DIM * 16 >= 5e7 ? 'onnx' : 'js'} blocks + lazy heap)`,
  `${kc.toFixed(2)} s`,
  `CPU ${cpu(c0).toFixed(2)} s; goal < 5 s; ${picked.rows.length} picks`,
);

const naivePicks = 50;
t0 = performance.now();
c0 = process.cpuUsage();
const best = new Float32Array(COUNT).fill(Number.NEGATIVE_INFINITY);
const textbook: number[] = [];
let next = picked.rows[0];
while (textbook.length < naivePicks) {
  textbook.push(next);
  let worst = 0;
  for (let i = 0; i < COUNT; i++) {
    let s = 0;
    for (let c = 0; c < DIM; c++) s += vectors[i * DIM + c] * vectors[next * DIM + c];
    if (s > best[i]) best[i] = s;
    if (best[i] < best[worst]) worst = i;
  }
  next = worst;
}
const naiveKc = (seconds(t0) * PICKS) / naivePicks;
const naiveKcCpu = (cpu(c0) * PICKS) / naivePicks;
print(
  `textbook traversal (anchor, scaled from ${naivePicks})`,
  `${naiveKc.toFixed(2)} s`,
  `CPU ${naiveKcCpu.toFixed(2)} s; ×${(naiveKc / kc).toFixed(1)}`,
);
const same = textbook.every((row, i) => row === picked.rows[i]);
print(`same first ${naivePicks} picks`, same ? 'yes' : 'NO');
const coveredCentres = new Set(Array.from(picked.rows, (row) => centreOf[row])).size;
print('planted groups with a pick', `${coveredCentres}/${CENTRES}`);
print('coverage after the last pick (min cosine)', picked.coverage.at(-1)?.toFixed(3) ?? '-');
