/**
 * `kindred eval`: measures search quality. `cosqa` scores the public CoSQA set (data passed with
 * --data), `workspace` mines (doc comment, code) pairs from a folder, `tune` compares hybrid
 * fusion settings on a CoSQA split. JSON on stdout, progress on stderr.
 */
import * as path from 'node:path';
import { DEFAULT_MODEL_ID, type Dtype } from '../core/embedding/models';
import { defaultThreads } from '../core/embedding/pool';
import { ModelRuntime } from '../core/embedding/runtime';
import { KindredError } from '../core/errors';
import type { Progress } from '../core/indexer';
import { defaultIndexDir, defaultModelsDir } from '../core/paths';
import { loadAdapter } from '../core/adapt/adapter';
import { evaluateCosqa, type CosqaSplit } from '../core/eval/cosqa';
import { EVAL_MODES, type EvalMode } from '../core/eval/retrieval';
import { tuneFusion } from '../core/eval/tune';
import { evaluateWorkspace } from '../core/eval/workspace';
import { evaluateRepos, REPO_EVAL_MODES, type RepoEvalMode, type ReposReport } from '../core/eval/repos';
import { ruleNames } from '../core/ranking/stack';
import { ProgressBar } from './progress';

/** The options `main` parsed that eval reads. */
export interface EvalValues {
  split?: string;
  data?: string;
  mode?: string;
  model?: string;
  dtype?: string;
  'models-dir'?: string;
  'allow-download'?: boolean;
  threads?: string;
  only?: string;
  'per-query'?: boolean;
  ablate?: boolean;
  json?: boolean;
  'index-dir'?: string;
  'no-adapter'?: boolean;
}

export const EVAL_USAGE = `  eval cosqa [--data DIR] [--split dev|test] [--mode bm25|vector|hybrid|all]
                                       Score search on CoSQA (default data: ../shared/eval/cosqa)
  eval workspace <folder> [--mode M] [--no-adapter]
                                       Score search on (doc comment -> code) pairs mined from a folder
                                       (through the folder's enabled query adapter unless --no-adapter;
                                       the adapter trained on most of these pairs: see adapt's held-out scores)
  eval tune [<folder>...] [--split dev] Compare hybrid fusion settings on a CoSQA split (and folders)
  eval repos [<dir>] [--mode M|all] [--only a,b] [--per-query] [--ablate]
                                       NDCG@10 on labelled repositories (default: ../shared/eval/repos),
                                       per repository and category, for bm25 / vector / hybrid / hybrid+stack;
                                       --ablate adds hybrid+stack with each ranking rule left out
`;

function bad(message: string): never {
  throw new KindredError('bad-argument', message);
}

function modesOf(values: EvalValues): EvalMode[] {
  const m = values.mode ?? 'all';
  if (m === 'all') return [...EVAL_MODES];
  if (!(EVAL_MODES as readonly string[]).includes(m)) bad(`--mode must be ${EVAL_MODES.join(", ")} or all, got "${m}".`);
  return [m as EvalMode];
}

export async function startRuntime(values: EvalValues): Promise<ModelRuntime> {
  const dtype = (values.dtype ?? 'q8') as Dtype;
  if (dtype !== 'q8' && dtype !== 'fp32') bad(`--dtype must be q8 or fp32, got "${values.dtype}".`);
  const threads = values.threads === undefined ? defaultThreads() : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 1) bad(`--threads must be an integer >= 1, got "${values.threads}".`);
  return ModelRuntime.start(
    {
      modelId: values.model ?? DEFAULT_MODEL_ID,
      modelsDir: path.resolve(values['models-dir'] ?? defaultModelsDir()),
      allowDownload: values['allow-download'] ?? false,
      dtype,
    },
    threads,
  );
}

function progress(): { update(phase: string, done: number, total: number): void; done(): void } {
  const bar = new ProgressBar();
  return {
    // The bar only prints the phase name, so eval's phases ("ranking", "mining") share it.
    update: (phase, done, total) => bar.update({ phase: phase as Progress['phase'], done, total }),
    done: () => bar.done(),
  };
}

/** Runs `kindred eval <what> ...`; returns the exit code. */
export async function evalCommand(args: readonly string[], values: EvalValues): Promise<number> {
  const [what, ...rest] = args;
  const split = (values.split ?? (what === 'tune' ? 'dev' : 'test')) as CosqaSplit;
  if (split !== 'dev' && split !== 'test') bad(`--split must be dev or test, got "${values.split}".`);
  const modes = modesOf(values);
  const dataDir = path.resolve(values.data ?? path.join('..', 'shared', 'eval', 'cosqa'));
  const bar = progress();
  let result: unknown;
  if (what === 'cosqa' || what === 'tune') {
    if (what === 'cosqa' && rest.length) bad('eval cosqa takes no positional arguments (the data folder is --data DIR).');
    const runtime = what === 'tune' || modes.some((m) => m !== 'bm25') ? await startRuntime(values) : undefined;
    try {
      const onProgress = (phase: string, done: number, total: number): void => bar.update(phase, done, total);
      result = what === 'cosqa' ? await evaluateCosqa(dataDir, runtime, { split, modes, onProgress }) : await tuneFusion(dataDir, runtime!, { split, workspaces: rest, onProgress });
    } finally {
      bar.done();
      await runtime?.close();
    }
  } else if (what === 'workspace') {
    if (rest.length !== 1) bad('eval workspace takes <folder>.');
    // The model's tokenizer sizes the chunks, so the model is loaded even for bm25 alone.
    const runtime = await startRuntime(values);
    try {
      const adapter = values['no-adapter']
        ? undefined
        : await loadAdapter(path.resolve(values['index-dir'] ?? defaultIndexDir(rest[0])), { model: runtime.source.modelId, dtype: runtime.source.dtype, dims: runtime.info.dims });
      result = await evaluateWorkspace(rest[0], runtime, {
        modes,
        mapQuery: adapter?.enabled ? (v) => adapter.apply(v) : undefined,
        onProgress: (phase: string, done: number, total: number) => bar.update(phase, done, total),
      });
    } finally {
      bar.done();
      await runtime.close();
    }
  } else if (what === 'repos') {
    if (rest.length > 1) bad('eval repos takes at most one folder (the set: repos.json + annotations/).');
    const dir = path.resolve(rest[0] ?? path.join('..', 'shared', 'eval', 'repos'));
    const m = values.mode ?? 'all';
    if (m !== 'all' && !(REPO_EVAL_MODES as readonly string[]).includes(m)) bad(`--mode must be ${REPO_EVAL_MODES.join(', ')} or all, got "${m}".`);
    const repoModes = m === 'all' ? REPO_EVAL_MODES : [m as RepoEvalMode];
    const runtime = await startRuntime(values);
    try {
      const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
      const onProgress = (phase: string, done: number, total: number): void => bar.update(phase, done, total);
      const report: ReposReport & { ablation?: Record<string, { ndcg: number; byCategory: Record<string, number> }> } = await evaluateRepos(dir, runtime, {
        modes: repoModes,
        only,
        perQuery: values['per-query'],
        onProgress,
      });
      if (values.ablate) {
        // Each rule left out in turn: what hybrid+stack loses without it (negative = the rule helps).
        report.ablation = {};
        for (const rule of ruleNames()) {
          const r = await evaluateRepos(dir, runtime, { modes: ['hybrid+stack'], only, disabledRules: new Set([rule]), onProgress });
          report.ablation[`-${rule}`] = {
            ndcg: r.ndcg['hybrid+stack'] ?? 0,
            byCategory: Object.fromEntries(Object.entries(r.byCategory).map(([c, v]) => [c, v['hybrid+stack'] ?? 0])),
          };
        }
      }
      result = report;
    } finally {
      bar.done();
      await runtime.close();
    }
  } else {
    bad(`eval takes cosqa, workspace, tune or repos, got "${what ?? ''}".`);
  }
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${JSON.stringify(result, null, 2)}\n`);
  return 0;
}
