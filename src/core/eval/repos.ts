/**
 * Repository search evaluation (`kindred eval repos <dir>`): real repositories at pinned revisions with
 * labelled queries (the layout of ../shared/eval/repos: repos.json + annotations/<name>.json), scored
 * with NDCG@10 over the first ten chunks the product's search returns, as the annotation authors score it.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CHUNKING_VERSION } from '../chunking/embedText';
import { Engine } from '../engine';
import type { ModelRuntime } from '../embedding/runtime';
import { KindredError } from '../errors';
import { cacheRoot } from '../paths';
import type { SearchHit } from '../search';

/** The ways a query can be ranked: the raw retrievers, their fusion, and the fusion with the ranking stack. */
export const REPO_EVAL_MODES = ['bm25', 'vector', 'hybrid', 'hybrid+stack'] as const;
export type RepoEvalMode = (typeof REPO_EVAL_MODES)[number];

export interface RepoSpec {
  name: string;
  language?: string;
  /** Folder to index, relative to the set's directory. */
  root: string;
}

/** A labelled target: a path relative to the upstream repository, optionally a line range in it. */
export type Target = string | { path: string; start_line?: number; end_line?: number };

export interface Annotation {
  query: string;
  relevant: Target[];
  secondary?: Target[];
  category: string;
}

/** Paths match when one is a suffix of the other at a path boundary (labels are relative to the upstream root). */
export function pathMatches(hitPath: string, target: string): boolean {
  const a = hitPath.replace(/\\/g, '/').replace(/^\.?\//, '');
  const b = target.replace(/\\/g, '/').replace(/^\.?\//, '');
  if (a === b) return true;
  return a.endsWith(`/${b}`) || b.endsWith(`/${a}`);
}

function targetMatches(hit: Pick<SearchHit, 'path' | 'startLine' | 'endLine'>, t: Target): boolean {
  if (typeof t === 'string') return pathMatches(hit.path, t);
  if (!pathMatches(hit.path, t.path)) return false;
  if (t.start_line === undefined || t.end_line === undefined) return true;
  return hit.startLine <= t.end_line && t.start_line <= hit.endLine;
}

/**
 * NDCG@10 as the set's README defines it: every target has gain 1 at the rank of the first hit that
 * matches it; DCG sums 1/log2(rank+1) over the distinct ranks found; IDCG is min(10, targets) hits at the top.
 */
export function ndcgAt10(hits: readonly Pick<SearchHit, 'path' | 'startLine' | 'endLine'>[], targets: readonly Target[]): number {
  if (targets.length === 0) return 0;
  const top = hits.slice(0, 10);
  const ranks = new Set<number>();
  for (const t of targets) {
    const i = top.findIndex((h) => targetMatches(h, t));
    if (i >= 0) ranks.add(i + 1);
  }
  let dcg = 0;
  for (const r of ranks) dcg += 1 / Math.log2(r + 1);
  let idcg = 0;
  for (let r = 1; r <= Math.min(10, targets.length); r++) idcg += 1 / Math.log2(r + 1);
  return dcg / idcg;
}

export interface RepoQueryResult {
  query: string;
  category: string;
  ndcg: Partial<Record<RepoEvalMode, number>>;
  /** The first hits of the last mode, for reading failures (path:start-end). */
  top?: string[];
}

export interface RepoResult {
  name: string;
  chunks: number;
  queries: number;
  ndcg: Partial<Record<RepoEvalMode, number>>;
  byCategory: Record<string, Partial<Record<RepoEvalMode, number>>>;
  perQuery?: RepoQueryResult[];
}

export interface ReposReport {
  repositories: RepoResult[];
  /** Mean over repositories. */
  ndcg: Partial<Record<RepoEvalMode, number>>;
  /** Mean over repositories of each repository's category mean. */
  byCategory: Record<string, Partial<Record<RepoEvalMode, number>>>;
}

const round = (x: number): number => Math.round(x * 10000) / 10000;

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function averageModes(rows: readonly Partial<Record<RepoEvalMode, number>>[], modes: readonly RepoEvalMode[]): Partial<Record<RepoEvalMode, number>> {
  const out: Partial<Record<RepoEvalMode, number>> = {};
  for (const m of modes) out[m] = round(mean(rows.map((r) => r[m] ?? 0)));
  return out;
}

function byCategory<T extends { category: string; ndcg: Partial<Record<RepoEvalMode, number>> }>(rows: readonly T[], modes: readonly RepoEvalMode[]): Record<string, Partial<Record<RepoEvalMode, number>>> {
  const groups = new Map<string, T[]>();
  for (const r of rows) groups.set(r.category, [...(groups.get(r.category) ?? []), r]);
  const out: Record<string, Partial<Record<RepoEvalMode, number>>> = {};
  for (const [cat, rs] of [...groups].sort()) out[cat] = averageModes(rs.map((r) => r.ndcg), modes);
  return out;
}

async function readJson<T>(file: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (e) {
    throw new KindredError('bad-argument', `Cannot read ${file}: ${(e as Error).message}`);
  }
}

export interface RepoEvalOptions {
  modes?: readonly RepoEvalMode[];
  /** Only these repositories (by name). */
  only?: readonly string[];
  /** Where each repository's index is kept between runs (default `<cache>/eval-repos`). */
  indexRoot?: string;
  /** Ranking rules to leave out of hybrid+stack (ablation). */
  disabledRules?: ReadonlySet<string>;
  /** Include each query's score and first hits. */
  perQuery?: boolean;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/**
 * Indexes each repository of the set with the product's engine (incrementally: an index kept from an
 * earlier run is only brought up to date) and scores every labelled query in each mode.
 */
export async function evaluateRepos(dir: string, runtime: ModelRuntime | undefined, options: RepoEvalOptions = {}): Promise<ReposReport> {
  const modes = options.modes ?? REPO_EVAL_MODES;
  const specs = (await readJson<RepoSpec[]>(path.join(dir, 'repos.json'))).filter((s) => !options.only || options.only.includes(s.name));
  if (specs.length === 0) throw new KindredError('bad-argument', `No repositories to evaluate in ${dir}.`);
  const indexRoot = options.indexRoot ?? path.join(cacheRoot(), 'eval-repos');
  const repositories: RepoResult[] = [];
  for (const spec of specs) {
    const annotations = await readJson<Annotation[]>(path.join(dir, 'annotations', `${spec.name}.json`));
    const folder = path.resolve(dir, spec.root);
    // One index per chunking version: an index kept from an older version would reuse vectors of unchanged
    // texts embedded by older code (batched int8 embedding gave batch-dependent vectors), so a score would
    // depend on the cache's history. Each version's numbers come from a build of its own.
    const key = createHash('sha256').update(`${folder}\0${CHUNKING_VERSION}`).digest('hex').slice(0, 10);
    const engine = await Engine.open(
      { folder, indexDir: path.join(indexRoot, `${spec.name}-${key}`), allowMissingModel: !runtime },
      runtime,
    );
    try {
      await engine.update({ onProgress: (p) => options.onProgress?.(`${spec.name} ${p.phase}`, p.done, p.total) });
      const rows: RepoQueryResult[] = [];
      for (const [i, a] of annotations.entries()) {
        const targets = [...a.relevant, ...(a.secondary ?? [])];
        const ndcg: Partial<Record<RepoEvalMode, number>> = {};
        let top: string[] = [];
        for (const mode of modes) {
          const hits = await engine.search(a.query, { k: 10, mode: mode === 'hybrid+stack' ? 'hybrid' : mode, stack: mode === 'hybrid+stack', disabledRules: options.disabledRules });
          ndcg[mode] = round(ndcgAt10(hits, targets));
          top = hits.map((h) => `${h.path}:${h.startLine}-${h.endLine}`);
        }
        rows.push({ query: a.query, category: a.category, ndcg, ...(options.perQuery ? { top } : {}) });
        options.onProgress?.(`${spec.name} queries`, i + 1, annotations.length);
      }
      repositories.push({
        name: spec.name,
        chunks: engine.index.chunks.size,
        queries: rows.length,
        ndcg: averageModes(rows.map((r) => r.ndcg), modes),
        byCategory: byCategory(rows, modes),
        ...(options.perQuery ? { perQuery: rows } : {}),
      });
    } finally {
      await engine.close();
    }
  }
  const categories = new Set(repositories.flatMap((r) => Object.keys(r.byCategory)));
  const overallByCategory: Record<string, Partial<Record<RepoEvalMode, number>>> = {};
  for (const cat of [...categories].sort()) {
    overallByCategory[cat] = averageModes(repositories.filter((r) => r.byCategory[cat]).map((r) => r.byCategory[cat]), modes);
  }
  return { repositories, ndcg: averageModes(repositories.map((r) => r.ndcg), modes), byCategory: overallByCategory };
}
