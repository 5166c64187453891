/**
 * `kindred adapt <folder>`: trains the query adapter on pairs mined from the folder, measures it (held-out
 * pairs, CoSQA test) and stores it beside the folder's index, switched on only when it is measured better.
 * JSON report on stdout, progress on stderr.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { saveAdapter } from '../core/adapt/adapter';
import { fingerprintFiles } from '../core/adapt/drift';
import { adaptWorkspace } from '../core/adapt/run';
import { KindredError } from '../core/errors';
import { IndexStore, modelDirName } from '../core/index/store';
import type { Progress } from '../core/indexer';
import { defaultIndexDir } from '../core/paths';
import { startRuntime, type EvalValues } from './eval';
import { ProgressBar } from './progress';

export interface AdaptValues extends EvalValues {
  'index-dir'?: string;
  'export-pairs'?: string;
  seed?: string;
  exclude?: string[];
  'dry-run'?: boolean;
}

export const ADAPT_USAGE = `  adapt <folder> [--export-pairs FILE] [--data DIR] [--seed N] [--dry-run]
                                       Learn a query adapter from pairs mined from the folder (doc comments,
                                       Markdown headings, tests, names); switched on only if held-out MRR
                                       gains >= 0.02 and CoSQA test (--data, default ../shared/eval/cosqa)
                                       drops <= 0.01. --export-pairs writes the pairs as JSONL; --dry-run
                                       measures without saving
`;

export async function adaptCommand(args: readonly string[], values: AdaptValues): Promise<number> {
  if (args.length !== 1) throw new KindredError('bad-argument', 'adapt takes <folder>.');
  const folder = path.resolve(args[0]);
  const st = await fs.stat(folder).catch(() => undefined);
  if (!st?.isDirectory()) throw new KindredError('not-found', `Folder ${folder} does not exist or is not a directory.`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new KindredError('bad-argument', `--seed must be an integer, got "${values.seed}".`);
  const indexDir = path.resolve(values['index-dir'] ?? defaultIndexDir(folder));
  const cosqaDir = path.resolve(values.data ?? path.join('..', 'shared', 'eval', 'cosqa'));
  const exportFile = values['export-pairs'] ? path.resolve(values['export-pairs']) : undefined;
  const runtime = await startRuntime(values);
  const bar = new ProgressBar();
  try {
    const { report } = await adaptWorkspace(folder, runtime, {
      seed,
      trainedOn: values['dry-run'] ? undefined : await indexedFiles(path.join(indexDir, modelDirName({ id: runtime.source.modelId, dtype: runtime.source.dtype }))),
      exclude: values.exclude,
      cosqaDir,
      save: values['dry-run'] ? undefined : (a) => saveAdapter(indexDir, a),
      onPairs: exportFile
        ? async (rows) => {
            const lines = rows.map(({ split, pair }) => JSON.stringify({ split, kind: pair.kind, query: pair.query, positive: pair.target, file: pair.file, startLine: pair.startLine, endLine: pair.endLine }));
            await fs.writeFile(exportFile, lines.length ? `${lines.join('\n')}\n` : '');
          }
        : undefined,
      onProgress: (phase, done, total) => bar.update({ phase: phase as Progress['phase'], done, total }),
    });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  } finally {
    bar.done();
    await runtime.close();
  }
}

/**
 * The files of the folder's index for this model (path → fingerprint), when it has one: recorded in the adapter
 * so that the editor can count the files changed since and offer to adapt again. None when there is no index yet.
 */
async function indexedFiles(storeDir: string): Promise<Record<string, string> | undefined> {
  const store = await IndexStore.open(storeDir, { readOnly: true }).catch(() => undefined);
  if (!store) return undefined;
  try {
    return fingerprintFiles(store.files.values());
  } finally {
    await store.close();
  }
}
