import type { Command } from 'commander';
import { cliContext } from '../context.ts';

export function register(program: Command): void {
  program
    .command('map')
    .description(
      "a 2-D UMAP map of the model's embeddings (exact cosine k-NN graph) and clusters found on it without a number to choose (HDBSCAN, with a noise group); stored per model and reused until the embeddings change",
    )
    .option('--model <id>', 'model id or name (default: the newest)')
    .option('--neighbors <count>', "UMAP's n_neighbors: larger keeps more of the global layout", '15')
    .option('--min-dist <distance>', "UMAP's min_dist: smaller packs clusters tighter", '0.1')
    .option('--seed <number>', 'random seed: the same seed and embeddings give the same map', '42')
    .option('--min-cluster-size <count>', 'smallest cluster (0: from the number of photos)', '0')
    .option('--force', 'recompute even when the stored map is current')
    .option('--json', 'print JSON')
    .action(
      async (
        options: {
          model?: string;
          neighbors: string;
          minDist: string;
          seed: string;
          minClusterSize: string;
          force?: boolean;
          json?: boolean;
        },
        command: Command,
      ) => {
        const context = cliContext(command);
        const { runMapJob } = await import('../../analysis/map-job.ts');
        const db = context.openLibrary();
        try {
          const result = await runMapJob(db, {
            model: options.model,
            nNeighbors: Number(options.neighbors),
            minDist: Number(options.minDist),
            seed: Number(options.seed),
            minClusterSize: Number(options.minClusterSize),
            force: options.force ?? false,
            signal: context.signal,
            onProgress: context.progress,
          });
          context.progress.stop();
          if (options.json || context.events) {
            process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
            return;
          }
          process.stdout.write(`${describeMap(result)}\n`);
        } finally {
          context.progress.stop();
          db.close();
        }
      },
    );
}

type MapJobResult = Awaited<ReturnType<typeof import('../../analysis/map-job.ts').runMapJob>>;

function describeMap(result: MapJobResult): string {
  const { summary, params } = result;
  const seconds = summary.seconds;
  const lines = [
    result.reused
      ? `Map of model "${result.model.name}" is current (${summary.photos} photos): nothing to do (--force recomputes).`
      : `Mapped ${summary.photos} photos of model "${result.model.name}" in ${seconds.total.toFixed(1)} s ` +
        `(k-NN graph ${seconds.knn.toFixed(1)} s on ${summary.knnEngine}, layout ${seconds.layout.toFixed(1)} s, clusters ${seconds.clusters.toFixed(1)} s).`,
    `UMAP: ${params.nNeighbors} neighbours, min-dist ${params.minDist}, seed ${params.seed}, ${params.nEpochs} epochs.`,
    `${summary.clusters} clusters (HDBSCAN, min size ${params.minClusterSize}), ${summary.noise} photos in the noise group.`,
  ];
  const agreement = summary.classAgreement;
  if (agreement) {
    lines.push(
      `Class folders (${agreement.classes} classes, ${agreement.labelledPhotos} photos): ` +
        `map 10-NN agreement ${agreement.mapNeighbourAgreement.toFixed(3)}, clusters ARI ${agreement.adjustedRandIndex.toFixed(3)} ` +
        `(${agreement.adjustedRandIndexClustered.toFixed(3)} without noise), purity ${agreement.purity.toFixed(3)}.`,
    );
  }
  lines.push('  cluster   size  representative image ids');
  for (const c of result.clusters.slice(0, 30)) {
    const name = c.cluster < 0 ? 'noise' : String(c.cluster);
    lines.push(
      `  ${name.padStart(7)}  ${String(c.size).padStart(5)}  ${c.representatives.slice(0, 6).join(' ')}`,
    );
  }
  if (result.clusters.length > 30)
    lines.push(`  … ${result.clusters.length - 30} more (--json lists them all)`);
  return lines.join('\n');
}
