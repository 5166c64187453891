import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KindredError } from '../errors';
import type { ChunkRecord, FileRecord } from '../index/store';
import { readTextFile } from '../text';
import type { ClusterFile, ClusterInfo, ClusterLevel, ClusterMethod, ClusterResult, ClusterRole, ClusterTree } from '../../shared/clusters';
import { pathKinds } from '../ranking/paths';
import { buildTree, cutTree } from './hierarchical';
import { capShare, kmeansAuto, kmeansWithK, largestShare } from './auto';
import { DEFAULT_SEED, kmeansFixed, SILHOUETTE_SAMPLE, type KmeansOutcome } from './kmeans';
import { Projection } from './projection';
import { silhouette } from './silhouette';
import { countTerms, cTfIdf, MAX_LABEL_BYTES, pathTerms, readHead, type LabelDoc, type TermCounts } from './terms';
import { compactLabels, dot, meanNormalized, normalized, sampleIndices } from './vecmath';

/** What clustering reads from an index (IndexStore satisfies it). */
export interface ClusterIndex {
  readonly files: ReadonlyMap<string, FileRecord>;
  readonly chunks: ReadonlyMap<number, ChunkRecord>;
  vectorOf(id: number): Float32Array | undefined;
}

/** An Engine satisfies this; so does `{ folder, index: store }`. */
export interface ClusterInput {
  readonly folder: string;
  readonly index: ClusterIndex;
}

export interface ClusterOptions {
  method?: ClusterMethod;
  /** A number of clusters, or 'auto' (default): chosen by silhouette. */
  k?: number | 'auto';
  /**
   * A path prefix relative to the folder ('src/core' or 'src/core/'). When it names one indexed
   * file, that file's chunks are clustered.
   */
  scope?: string;
  /** 'chunk' clusters the chunks of the files in scope instead of the files. Default: 'file' (or 'chunk' for a one-file scope). */
  level?: ClusterLevel;
  /** Recompute k selection (and the 2-D map) even if the previous result could be updated. */
  reselect?: boolean;
  seed?: number;
  /** Bytes read per file for labels (default 64 KB). */
  maxBytesPerFile?: number;
  /** Terms per cluster (default 5; the label uses the first 3). */
  terms?: number;
}

interface Item {
  path: string;
  /** Content hash (the file's, or the chunk's). */
  hash: string;
  startLine?: number;
  endLine?: number;
  symbol?: string;
  /** Symbols of the file's chunks (file level), for labels. */
  symbols?: string[];
}

/** What one part's k-means keeps between calls. */
interface PartState {
  n: number;
  k: number;
  centroids: number[][];
}

interface State {
  n: number;
  mean: number[];
  k: number;
  kAuto: boolean;
  parts?: Partial<Record<ClusterRole, PartState>>;
  micro?: Partial<Record<ClusterRole, number[][]>>;
  projection?: Projection;
}

/** Items of one role, clustered on their own (indices into the items). */
interface Part {
  role: ClusterRole;
  members: number[];
}

interface Clustering {
  labels: number[];
  k: number;
  candidates?: { k: number; silhouette: number }[];
  tree?: ClusterTree;
}

/** Term counts of an item's text and the label terms of its symbols. */
interface ItemTerms {
  counts: TermCounts;
  symbols: string[];
}

/** With k automatic, no cluster holds more than this share of the items (bigger ones are passed over or split). */
export const MAX_SHARE = 0.5;
/** With k automatic and at least 15 items, at least this many clusters: fewer groups say little about a repository. */
export const MIN_AUTO_CLUSTERS = 5;
/** Clusters of at least this many items get sub-clusters to drill into. */
export const SUBDIVIDE_MIN = 8;
/** Levels of sub-clusters below the top. */
const SUBDIVIDE_DEPTH = 2;
/** How far a hierarchical cut goes looking for one with no cluster over MAX_SHARE. */
const MAX_AUTO_CUT = 60;

/**
 * Candidate k for automatic selection in the product: a finer range than kRange's 2..√n+3, so a
 * repository is not collapsed into 2-3 groups. At least 15 items: max(5, √n/2) (at most 12) up to
 * √n+3 (at most 24); fewer: n/3 up to √n+3. A part of tests or examples (`secondary`) with fewer
 * than 6 items is one cluster.
 */
export function autoKRange(n: number, secondary: boolean): [number, number] {
  if (n <= 2 || (secondary && n < 6)) return [1, 1];
  const lo = n >= 15 ? Math.min(12, Math.max(MIN_AUTO_CLUSTERS, Math.round(Math.sqrt(n) / 2))) : Math.max(2, Math.floor(n / 3));
  const hi = Math.max(lo, Math.min(24, Math.floor(Math.sqrt(n)) + 3, n - 1));
  return [lo, hi];
}

/** Fraction by which the item count may change before an update recomputes from scratch. */
export const REFIT_CHANGE = 0.1;
const READ_CONCURRENCY = 16;

/**
 * Clusters of related files (or chunks), kept up to date cheaply. Holds, between calls:
 * file vectors and term counts keyed by content hash (an edited file is the only one recomputed),
 * and per (method, scope, level, k) the last centroids, chosen k and 2-D projection. An update
 * warm-starts k-means from the previous centroids and skips k selection unless asked (`reselect`)
 * or the number of items changed by more than 10%.
 */
export class ClusterModel {
  private readonly fileVectors = new Map<string, { hash: string; vector: number[]; symbols: string[] }>();
  private readonly chunkVectors = new Map<string, number[]>();
  private readonly fileTerms = new Map<string, ItemTerms>();
  private readonly chunkTerms = new Map<string, ItemTerms>();
  private readonly states = new Map<string, State>();

  async compute(source: ClusterInput | (ClusterIndex & { readonly folder: string }), options: ClusterOptions = {}): Promise<ClusterResult> {
    const t0 = performance.now();
    const index: ClusterIndex = 'index' in source ? source.index : source;
    const folder = source.folder;
    const method = options.method ?? 'kmeans';
    if (method !== 'kmeans' && method !== 'hierarchical') throw new KindredError('bad-argument', `Unknown clustering method "${String(method)}".`);
    const kOpt = options.k ?? 'auto';
    if (kOpt !== 'auto' && (!Number.isInteger(kOpt) || kOpt < 1)) throw new KindredError('bad-argument', `k must be a positive integer or "auto", got ${String(kOpt)}.`);
    const seed = options.seed ?? DEFAULT_SEED;
    const scope = normalizeScope(options.scope);
    const oneFile = scope !== undefined && index.files.has(scope);
    const level: ClusterLevel = oneFile ? 'chunk' : (options.level ?? 'file');

    // 1. Vectors (from the index; cached by content hash).
    const { items, vectors: raw, skipped } = level === 'file' ? this.fileItems(index, scope) : this.chunkItems(index, scope, oneFile);
    if (items.length === 0) {
      const where = scope ? ` under "${scope}"` : '';
      throw new KindredError('not-found', `No embedded ${level === 'file' ? 'files' : 'chunks'}${where} to cluster.`, 'Index the folder first (kindred index), or check the scope.');
    }
    const t1 = performance.now();

    // 2. Term counts for labels (read from disk, cached by content hash).
    const counts = await this.termCounts(folder, items, level, scope, options.maxBytesPerFile ?? MAX_LABEL_BYTES);
    const t2 = performance.now();

    // 3. Clustering: tests and examples apart from the code (file level), each part on its own.
    const sig = JSON.stringify([method, level, scope ?? '', kOpt, seed]);
    const prev = this.states.get(sig);
    const n = items.length;
    const reuse = !!prev && !options.reselect && Math.abs(n - prev.n) <= REFIT_CHANGE * prev.n && n >= 2;
    // Embedding spaces are anisotropic (every vector shares a large common direction, which squeezes
    // cosine distances together): cluster the vectors minus their mean, re-normalized. An update keeps
    // the previous mean so that warm-start centroids stay in the same space.
    const mean = reuse ? prev!.mean : meanOf(raw);
    const vectors = raw.map((v) => normalized(v.map((x, j) => x - mean[j])));
    const roles: ClusterRole[] = items.map((it) => (level === 'file' ? roleOf(it.path) : 'code'));
    const parts = partition(roles, kOpt);
    const state: State = { n, k: 1, kAuto: kOpt === 'auto', mean, parts: {}, micro: {} };
    const out = method === 'kmeans' ? this.kmeansParts(vectors, parts, kOpt, seed, reuse ? prev : undefined, state) : this.treeParts(vectors, parts, kOpt, seed, reuse ? prev : undefined, state);
    const { labels, k } = out;
    const sample = sampleIndices(n, SILHOUETTE_SAMPLE, seed);
    const sil = k > 1 ? silhouette(vectors, labels, sample) : 0;
    state.k = k;
    const t3 = performance.now();

    // 4. 2-D map (the previous plane is kept on an update, so points do not jump around).
    state.projection = (reuse ? prev!.projection : undefined) ?? Projection.fit(vectors, seed);
    this.states.set(sig, state);
    const xy = state.projection.project(vectors);
    const t4 = performance.now();

    // 5. Centrality, labels and sub-clusters.
    const top = options.terms ?? 5;
    const docs: LabelDoc[] = items.map((it, i) => ({
      counts: counts[i].counts,
      extra: level === 'file' ? pathTerms(it.path) : it.symbol ? pathTerms(it.symbol.replace(/[.#:]/g, '/')) : [],
      symbols: counts[i].symbols,
      cluster: labels[i],
    }));
    const labelDocs = withoutCommonTerms(docs, roles);
    const members: number[][] = Array.from({ length: k }, () => []);
    labels.forEach((c, i) => members[c].push(i));
    const terms = cTfIdf(labelDocs, k, top);
    const describe = (group: number[], words: string[], id: number, depth: number): ClusterInfo => {
      const centroid = normalized(group.reduce((s, i) => (s.forEach((_, j) => (s[j] += vectors[i][j])), s), new Array<number>(vectors[0].length).fill(0)));
      const files: ClusterFile[] = group.map((i) => {
        const it = items[i];
        return {
          path: it.path,
          index: i,
          x: xy[i].x,
          y: xy[i].y,
          centrality: Math.round(dot(vectors[i], centroid) * 1e4) / 1e4,
          ...(it.startLine !== undefined ? { startLine: it.startLine, endLine: it.endLine } : {}),
          ...(it.symbol ? { symbol: it.symbol } : {}),
        };
      });
      files.sort((a, b) => b.centrality - a.centrality || a.index - b.index);
      const central = files[0];
      const where = level === 'file' ? commonFolder(files.map((f) => f.path)) : undefined;
      const children = depth < SUBDIVIDE_DEPTH && group.length >= SUBDIVIDE_MIN ? this.subdivide(vectors, group, labelDocs, method, seed, top, depth, describe) : undefined;
      return {
        id,
        label: words.slice(0, 3).join(', ') || path.posix.basename(central.path),
        terms: words,
        size: files.length,
        files,
        centralFile: central.startLine !== undefined ? `${central.path}:${central.startLine}-${central.endLine}` : central.path,
        role: majority(group.map((i) => roles[i])),
        ...(where !== undefined ? { where } : {}),
        ...(children ? { children } : {}),
      };
    };
    const order = members.map((_, c) => c).sort((a, b) => members[b].length - members[a].length || items[members[a][0]].path.localeCompare(items[members[b][0]].path));
    const clusters: ClusterInfo[] = order.map((c, id) => describe(members[c], terms[c].map((t) => t.term), id, 0));
    const t5 = performance.now();
    const ms = (a: number, b: number): number => Math.round(b - a);
    return {
      method,
      level,
      scope: scope ?? null,
      k,
      kAuto: kOpt === 'auto',
      silhouette: Math.round(sil * 1e4) / 1e4,
      items: n,
      skipped,
      clusters,
      largestShare: Math.round((clusters[0].size / n) * 1e4) / 1e4,
      ...(out.candidates ? { candidates: out.candidates } : {}),
      ...(out.tree ? { tree: out.tree } : {}),
      incremental: reuse,
      timings: { vectors: ms(t0, t1), terms: ms(t1, t2), cluster: ms(t2, t3), project: ms(t3, t4), labels: ms(t4, t5), total: ms(t0, t5) },
    };
  }

  /** k-means on each part; k by silhouette in autoKRange with no cluster over MAX_SHARE, or the given k shared out. */
  private kmeansParts(vectors: number[][], parts: Part[], kOpt: number | 'auto', seed: number, prev: State | undefined, state: State): Clustering {
    const labels = new Array<number>(vectors.length).fill(0);
    let k = 0;
    let candidates: Clustering['candidates'];
    const given = kOpt === 'auto' ? undefined : shareOut(kOpt, parts.map((p) => p.members.length));
    parts.forEach((part, pi) => {
      const sub = part.members.map((i) => vectors[i]);
      const old = prev?.parts?.[part.role];
      let r: KmeansOutcome;
      if (old && Math.abs(sub.length - old.n) <= REFIT_CHANGE * old.n && old.k <= sub.length) {
        r = kmeansFixed(sub, old.k, { seed, init: old.centroids, maxIterations: 10 });
        if (kOpt === 'auto') r = capShare(sub, r, MAX_SHARE, seed);
      } else if (given) {
        r = kmeansWithK(sub, given[pi], { seed });
      } else {
        const [lo, hi] = partKRange(sub.length, vectors.length, parts.length, pi > 0);
        r = hi <= 1 ? kmeansFixed(sub, 1, { seed }) : kmeansAuto(sub, { seed, minK: lo, maxK: hi, maxShare: MAX_SHARE });
        if (pi === 0) candidates = r.candidates;
      }
      part.members.forEach((i, j) => (labels[i] = k + r.labels[j]));
      k += r.k;
      state.parts![part.role] = { n: sub.length, k: r.k, centroids: r.centroids };
    });
    return { labels, k, ...(candidates ? { candidates } : {}) };
  }

  /** Average-linkage trees of the parts joined under one root, cut at k (by silhouette in autoKRange, no cluster over MAX_SHARE). */
  private treeParts(vectors: number[][], parts: Part[], kOpt: number | 'auto', seed: number, prev: State | undefined, state: State): Clustering {
    const n = vectors.length;
    const trees = parts.map((part) => {
      const built = buildTree(
        part.members.map((i) => vectors[i]),
        { seed, microInit: prev?.micro?.[part.role], microIterations: prev ? 1 : 3 },
      );
      if (built.micro) state.micro![part.role] = built.micro;
      return { members: part.members, tree: built.tree };
    });
    const tree = joinTrees(n, trees);
    let k: number;
    let candidates: Clustering['candidates'];
    if (kOpt !== 'auto') k = Math.min(kOpt, n);
    else if (prev?.kAuto) k = prev.k;
    else {
      const sample = sampleIndices(n, SILHOUETTE_SAMPLE, seed);
      const [lo0, hi] = autoKRange(n, false);
      const lo = Math.min(n, Math.max(lo0, parts.length));
      candidates = [];
      let best = { k: lo, s: -Infinity };
      let capped: { k: number; s: number } | undefined;
      for (let kk = lo; kk <= Math.max(lo, hi); kk++) {
        const cut = cutTree(tree, kk);
        const s = kk > 1 ? silhouette(vectors, cut, sample) : 0;
        candidates.push({ k: kk, silhouette: Math.round(s * 1e4) / 1e4 });
        if (s > best.s + 1e-4) best = { k: kk, s };
        if (largestShare(cut) <= MAX_SHARE && (!capped || s > capped.s + 1e-4)) capped = { k: kk, s };
      }
      // Average linkage often peels off outliers first: cut further until no cluster is too big.
      for (let kk = Math.max(lo, hi) + 1; !capped && kk <= Math.min(n, MAX_AUTO_CUT); kk++) if (largestShare(cutTree(tree, kk)) <= MAX_SHARE) capped = { k: kk, s: 0 };
      k = (capped ?? best).k;
    }
    const c = compactLabels(cutTree(tree, k));
    return { labels: c.labels, k: c.k, tree, ...(candidates ? { candidates } : {}) };
  }

  /** Sub-clusters of one cluster's members (2 to 6, by silhouette), labelled against each other. */
  private subdivide(
    vectors: number[][],
    group: number[],
    docs: LabelDoc[],
    method: ClusterMethod,
    seed: number,
    top: number,
    depth: number,
    describe: (group: number[], words: string[], id: number, depth: number) => ClusterInfo,
  ): ClusterInfo[] | undefined {
    const sub = group.map((i) => vectors[i]);
    const maxK = Math.min(6, Math.floor(group.length / 3));
    if (maxK < 2) return undefined;
    let labels: number[];
    if (method === 'kmeans') labels = kmeansAuto(sub, { seed, minK: 2, maxK, minSize: 2 }).labels;
    else {
      const { tree } = buildTree(sub, { seed });
      let best = { s: -Infinity, labels: [] as number[] };
      for (let kk = 2; kk <= maxK; kk++) {
        const cut = compactLabels(cutTree(tree, kk)).labels;
        // Average linkage peels off single outliers first: a split into a group and a lone file is no drill-down.
        const s = silhouette(sub, cut) - (Math.min(...groupSizes(cut)) < 2 ? 1 : 0);
        if (s > best.s + 1e-4) best = { s, labels: cut };
      }
      labels = best.labels;
    }
    const c = compactLabels(labels);
    if (c.k < 2) return undefined;
    const groups: number[][] = Array.from({ length: c.k }, () => []);
    c.labels.forEach((l, j) => groups[l].push(group[j]));
    // Terms the whole parent shares say nothing about one child.
    const local = withoutCommonTerms(
      group.map((i, j) => ({ ...docs[i], cluster: c.labels[j] })),
      group.map(() => 'code'),
      0.6,
      4,
    );
    const terms = cTfIdf(local, c.k, top);
    // When the parent's files share every word, the children are told apart by all of them.
    const fallback = terms.some((t) => t.length === 0) ? cTfIdf(group.map((i, j) => ({ ...docs[i], cluster: c.labels[j] })), c.k, top) : terms;
    const order = groups.map((_, l) => l).sort((a, b) => groups[b].length - groups[a].length || a - b);
    return order.map((l, id) => describe(groups[l], (terms[l].length ? terms[l] : fallback[l]).map((t) => t.term), id, depth + 1));
  }

  /** File vectors: the mean of each file's chunk vectors, re-normalized. Files with no embedded chunk are skipped. */
  private fileItems(index: ClusterIndex, scope: string | undefined): { items: Item[]; vectors: number[][]; skipped: number } {
    const items: Item[] = [];
    const vectors: number[][] = [];
    let skipped = 0;
    const files = [...index.files.values()].filter((f) => inScope(f.path, scope)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const live = new Set<string>();
    for (const f of files) {
      live.add(f.path);
      const cached = this.fileVectors.get(f.path);
      let vector = cached?.hash === f.hash ? cached.vector : undefined;
      let symbols = cached?.hash === f.hash ? cached.symbols : [];
      if (!vector) {
        const vs: Float32Array[] = [];
        const names = new Set<string>();
        for (const id of f.chunks) {
          const v = index.vectorOf(id);
          if (v) vs.push(v);
          const symbol = index.chunks.get(id)?.symbol;
          if (symbol) names.add(symbol);
        }
        if (vs.length === 0) {
          // A file with nothing to index (empty, binary) is not waiting for anything.
          if (f.chunks.length > 0) skipped++;
          continue;
        }
        vector = meanNormalized(vs);
        symbols = [...names];
        // Only a complete file vector is cached (chunks still being embedded would change it).
        if (vs.length === f.chunks.length) this.fileVectors.set(f.path, { hash: f.hash, vector, symbols });
      }
      items.push({ path: f.path, hash: f.hash, symbols });
      vectors.push(vector);
    }
    if (scope === undefined) for (const p of this.fileVectors.keys()) if (!live.has(p)) this.fileVectors.delete(p);
    return { items, vectors, skipped };
  }

  private chunkItems(index: ClusterIndex, scope: string | undefined, oneFile: boolean): { items: Item[]; vectors: number[][]; skipped: number } {
    const items: Item[] = [];
    const vectors: number[][] = [];
    let skipped = 0;
    const files = oneFile ? [index.files.get(scope!)!] : [...index.files.values()].filter((f) => inScope(f.path, scope)).sort((a, b) => (a.path < b.path ? -1 : 1));
    for (const f of files) {
      let any = false;
      for (const id of f.chunks) {
        const c = index.chunks.get(id);
        if (!c) continue;
        let vector = this.chunkVectors.get(c.hash);
        if (!vector) {
          const v = index.vectorOf(id);
          if (!v) continue;
          vector = normalized(v);
          this.chunkVectors.set(c.hash, vector);
        }
        any = true;
        items.push({ path: c.path, hash: c.hash, startLine: c.startLine, endLine: c.endLine, ...(c.symbol ? { symbol: c.symbol } : {}) });
        vectors.push(vector);
      }
      if (!any && f.chunks.length > 0) skipped++;
    }
    return { items, vectors, skipped };
  }

  /** Term counts per item, from the files on disk; only items whose content hash is new are read. */
  private async termCounts(folder: string, items: Item[], level: ClusterLevel, scope: string | undefined, maxBytes: number): Promise<ItemTerms[]> {
    const cache = level === 'file' ? this.fileTerms : this.chunkTerms;
    const missing = new Map<string, Item[]>(); // path → items to count
    for (const it of items) {
      if (cache.has(it.hash)) continue;
      const list = missing.get(it.path);
      if (list) list.push(it);
      else missing.set(it.path, [it]);
    }
    const paths = [...missing.keys()];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const p = paths[next++];
        const abs = path.join(folder, ...p.split('/'));
        if (level === 'file') {
          const text = await readHead(abs, maxBytes);
          for (const it of missing.get(p)!) cache.set(it.hash, { counts: countTerms(text), symbols: symbolTerms(it.symbols ?? []) });
        } else {
          const read = await readTextFile(abs, Number.MAX_SAFE_INTEGER);
          const lines = read.ok ? read.text.split(/\r?\n/) : [];
          for (const it of missing.get(p)!) cache.set(it.hash, { counts: countTerms(lines.slice(it.startLine! - 1, it.endLine).join('\n').slice(0, maxBytes)), symbols: [] });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, paths.length) }, worker));
    // Forget counts of content no longer present (only when everything was in scope, or the cache grew large).
    if (scope === undefined || cache.size > 4 * items.length) {
      const live = new Set(items.map((it) => it.hash));
      for (const h of cache.keys()) if (!live.has(h)) cache.delete(h);
    }
    return items.map((it) => cache.get(it.hash)!);
  }
}

/** 'src/core/', './src/core', 'src\\core' → 'src/core'; '' or '.' → undefined (everything). */
export function normalizeScope(scope: string | undefined): string | undefined {
  if (scope === undefined) return undefined;
  let s = scope.split('\\').join('/').trim();
  while (s.startsWith('./')) s = s.slice(2);
  s = s.replace(/\/+$/, '');
  return s === '' || s === '.' ? undefined : s;
}

function inScope(p: string, scope: string | undefined): boolean {
  return scope === undefined || p === scope || p.startsWith(`${scope}/`);
}

function meanOf(vs: number[][]): number[] {
  const d = vs[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  for (const v of vs) for (let j = 0; j < d; j++) mean[j] += v[j] / vs.length;
  return mean;
}

/**
 * The k range of one part: the whole range (autoKRange of all the items) shared out in proportion
 * to the part's size, within the part's own range, so that splitting off the tests does not double
 * the number of clusters.
 */
function partKRange(n: number, total: number, parts: number, secondary: boolean): [number, number] {
  const own = autoKRange(n, secondary);
  if (parts <= 1 || own[1] <= 1) return own;
  const [lo, hi] = autoKRange(total, false);
  const h = Math.max(1, Math.min(own[1], Math.round((hi * n) / total)));
  return [Math.max(1, Math.min(h, Math.round((lo * n) / total))), h];
}

/** Tests and examples by their path; everything else is code. */
export function roleOf(rel: string): ClusterRole {
  const topics = pathKinds(rel).topics;
  return topics.has('test') ? 'test' : topics.has('example') ? 'example' : 'code';
}

const ROLE_ORDER: readonly ClusterRole[] = ['code', 'test', 'example'];

/**
 * The items split by role, the code first. One part when there is only one role, or when a given
 * k is smaller than the number of roles (every part needs a cluster).
 */
function partition(roles: readonly ClusterRole[], k: number | 'auto'): Part[] {
  const parts = ROLE_ORDER.map((role) => ({ role, members: roles.flatMap((r, i) => (r === role ? [i] : [])) })).filter((p) => p.members.length > 0);
  if (parts.length <= 1 || (k !== 'auto' && k < parts.length)) return [{ role: parts[0]?.role ?? 'code', members: roles.map((_, i) => i) }];
  // The biggest part goes first: its candidates are the ones reported.
  return parts.sort((a, b) => b.members.length - a.members.length || ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
}

/** A given k shared out over parts in proportion to their sizes (largest remainder), at least one each. */
export function shareOut(k: number, sizes: readonly number[]): number[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const exact = sizes.map((s) => (k * s) / total);
  const out = exact.map((x) => Math.max(1, Math.floor(x)));
  const sum = (): number => out.reduce((a, b) => a + b, 0);
  while (sum() > k) {
    const i = out.indexOf(Math.max(...out));
    if (out[i] <= 1) break;
    out[i]--;
  }
  const byRemainder = exact.map((x, i) => ({ i, r: x - out[i] })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; sum() < k && j < byRemainder.length; j++) out[byRemainder[j].i]++;
  return out.map((x, i) => Math.min(x, sizes[i]));
}

/** The parts' trees as one: leaves renumbered to the items, under a root at the largest distance (2: parts never merge). */
function joinTrees(n: number, trees: { members: number[]; tree: ClusterTree }[]): ClusterTree {
  if (trees.length === 1 && trees[0].members.every((m, i) => m === i)) return trees[0].tree;
  const nodes: ClusterTree['nodes'] = [];
  const roots: number[] = [];
  for (const { members, tree } of trees) {
    const base = n + nodes.length;
    const id = (x: number): number => (x < tree.leaves ? members[x] : base + (x - tree.leaves));
    for (const node of tree.nodes) nodes.push({ children: node.children.map(id), height: node.height, size: node.size });
    roots.push(id(tree.root));
  }
  if (roots.length === 1) return { leaves: n, root: roots[0], nodes };
  nodes.push({ children: roots, height: 2, size: n });
  return { leaves: n, root: n + nodes.length - 1, nodes };
}

/**
 * Label terms of chunk symbols: the name a symbol defines, and the type it belongs to when that is a
 * type (capitalised), not the object it hangs on: `res.cookie` → cookie, `app.render` → render,
 * `Router.prototype.handle` → router, handle, `## Installation` → installation.
 */
function symbolTerms(symbols: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of symbols) {
    const parts = s.split(/[.#:]|\s+>\s+/).filter(Boolean);
    const named = parts.filter((p, i) => i === parts.length - 1 || /^[A-Z]/.test(p));
    for (const t of pathTerms(named.join('/'))) out.add(t);
  }
  return [...out];
}

/**
 * The documents without the terms that most of their role's documents share (in more than `maxDf`
 * of them, once there are at least `minDocs`): `expect`, `request` and `app` in every test of a web
 * framework name no cluster. Symbol and path terms are filtered the same way.
 */
function withoutCommonTerms(docs: readonly LabelDoc[], roles: readonly ClusterRole[], maxDf = 0.5, minDocs = 8): LabelDoc[] {
  const byRole = new Map<ClusterRole, number[]>();
  roles.forEach((r, i) => {
    const list = byRole.get(r);
    if (list) list.push(i);
    else byRole.set(r, [i]);
  });
  const common = new Map<ClusterRole, Set<string>>();
  for (const [role, idx] of byRole) {
    const df = new Map<string, number>();
    for (const i of idx) {
      const seen = new Set<string>([...docs[i].counts.keys(), ...(docs[i].extra ?? []), ...(docs[i].symbols ?? [])]);
      for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
    }
    const set = new Set<string>();
    if (idx.length >= minDocs) for (const [t, c] of df) if (c > maxDf * idx.length) set.add(t);
    common.set(role, set);
  }
  return docs.map((d, i) => {
    const drop = common.get(roles[i])!;
    if (!drop.size) return d;
    const counts: TermCounts = new Map();
    for (const [t, c] of d.counts) if (!drop.has(t)) counts.set(t, c);
    return { ...d, counts, extra: d.extra?.filter((t) => !drop.has(t)), symbols: d.symbols?.filter((t) => !drop.has(t)) };
  });
}

/** The deepest folder holding at least two thirds of the paths; undefined when that is only the top. */
export function commonFolder(paths: readonly string[]): string | undefined {
  const need = Math.ceil((paths.length * 2) / 3);
  const counts = new Map<string, number>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
  }
  let best: string | undefined;
  for (const [dir, c] of counts) if (c >= need && (!best || dir.length > best.length)) best = dir;
  return best;
}

function groupSizes(labels: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return [...counts.values()];
}

function majority<T extends string>(values: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}
