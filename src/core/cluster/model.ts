import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { KindredError } from '../errors';
import type { ChunkRecord, FileRecord } from '../index/store';
import { readTextFile } from '../text';
import { buildTree, cutTree, type ClusterTree } from './hierarchical';
import { kmeansAuto, kmeansWithK } from './auto';
import { DEFAULT_SEED, kmeansFixed, kRange, SILHOUETTE_SAMPLE } from './kmeans';
import { Projection } from './projection';
import { silhouette } from './silhouette';
import { countTerms, cTfIdf, MAX_LABEL_BYTES, pathTerms, readHead, type LabelDoc, type TermCounts } from './terms';
import { clusterSums, compactLabels, dot, meanNormalized, normalized, sampleIndices } from './vecmath';

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

export type ClusterMethod = 'kmeans' | 'hierarchical';
export type ClusterLevel = 'file' | 'chunk';

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

export interface ClusterFile {
  path: string;
  /** Index of this item: a leaf id of `tree`. */
  index: number;
  /** Position on the 2-D map, in [0, 1]. */
  x: number;
  y: number;
  /** Cosine similarity to the cluster's centroid. */
  centrality: number;
  startLine?: number;
  endLine?: number;
  symbol?: string;
}

export interface ClusterInfo {
  id: number;
  label: string;
  terms: string[];
  size: number;
  /** Most central first. */
  files: ClusterFile[];
  /** The item closest to the centroid (path, or path:start-end for chunks). */
  centralFile: string;
}

export interface ClusterResult {
  method: ClusterMethod;
  level: ClusterLevel;
  scope: string | null;
  k: number;
  /** k was chosen automatically (by silhouette). */
  kAuto: boolean;
  /** Mean silhouette (cosine distance) of this clustering, in [-1, 1]. */
  silhouette: number;
  /** Items clustered (files or chunks). */
  items: number;
  /** Files in scope left out because none of their chunks is embedded yet. */
  skipped: number;
  /** Largest cluster first. */
  clusters: ClusterInfo[];
  /** Silhouette per candidate k, when k was selected in this run. */
  candidates?: { k: number; silhouette: number }[];
  /** The dendrogram (hierarchical only); leaves are the items' `index`. */
  tree?: ClusterTree;
  /** True when the previous clustering was updated rather than recomputed. */
  incremental: boolean;
  /** Milliseconds per stage. */
  timings: { vectors: number; terms: number; cluster: number; project: number; labels: number; total: number };
}

interface Item {
  path: string;
  /** Content hash (the file's, or the chunk's). */
  hash: string;
  startLine?: number;
  endLine?: number;
  symbol?: string;
}

interface State {
  n: number;
  mean: number[];
  k: number;
  kAuto: boolean;
  centroids?: number[][];
  micro?: number[][];
  projection?: Projection;
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
  private readonly fileVectors = new Map<string, { hash: string; vector: number[] }>();
  private readonly chunkVectors = new Map<string, number[]>();
  private readonly fileTerms = new Map<string, TermCounts>();
  private readonly chunkTerms = new Map<string, TermCounts>();
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

    // 3. Clustering.
    const sig = JSON.stringify([method, level, scope ?? '', kOpt, seed]);
    const prev = this.states.get(sig);
    const n = items.length;
    const reuse = !!prev && !options.reselect && Math.abs(n - prev.n) <= REFIT_CHANGE * prev.n && n >= 2;
    // Embedding spaces are anisotropic (every vector shares a large common direction, which squeezes
    // cosine distances together): cluster the vectors minus their mean, re-normalized. An update keeps
    // the previous mean so that warm-start centroids stay in the same space.
    const mean = reuse ? prev!.mean : meanOf(raw);
    const vectors = raw.map((v) => normalized(v.map((x, j) => x - mean[j])));
    let labels: number[];
    let k: number;
    let sil: number;
    let candidates: ClusterResult['candidates'];
    let tree: ClusterTree | undefined;
    const state: State = { n, k: 1, kAuto: kOpt === 'auto', mean };
    if (method === 'kmeans') {
      let r;
      if (reuse && prev!.centroids && prev!.k <= n) r = kmeansFixed(vectors, prev!.k, { seed, init: prev!.centroids, maxIterations: 10 });
      else if (kOpt === 'auto') r = kmeansAuto(vectors, { seed });
      else r = kmeansWithK(vectors, kOpt, { seed });
      ({ labels, k } = r);
      sil = r.silhouette;
      candidates = r.candidates;
      state.centroids = r.centroids;
    } else {
      const built = buildTree(vectors, { seed, microInit: reuse ? prev!.micro : undefined, microIterations: reuse ? 1 : 3 });
      tree = built.tree;
      state.micro = built.micro;
      const sample = sampleIndices(n, SILHOUETTE_SAMPLE, seed);
      if (kOpt !== 'auto') k = Math.min(kOpt, n);
      else if (reuse && prev!.kAuto) k = prev!.k;
      else {
        const [lo, hi] = kRange(n);
        candidates = [];
        let best = { k: 1, s: -Infinity };
        for (let kk = lo; kk <= hi; kk++) {
          const s = silhouette(vectors, cutTree(tree, kk), sample);
          candidates.push({ k: kk, silhouette: Math.round(s * 1e4) / 1e4 });
          if (s > best.s + 1e-4) best = { k: kk, s };
        }
        k = n < 3 ? Math.min(n, 2) : best.k;
      }
      const c = compactLabels(cutTree(tree, k));
      labels = c.labels;
      k = c.k;
      sil = silhouette(vectors, labels, sample);
    }
    state.k = k;
    const t3 = performance.now();

    // 4. 2-D map (the previous plane is kept on an update, so points do not jump around).
    state.projection = (reuse ? prev!.projection : undefined) ?? Projection.fit(vectors, seed);
    this.states.set(sig, state);
    const xy = state.projection.project(vectors);
    const t4 = performance.now();

    // 5. Centrality and labels.
    const { sums, counts: sizes } = clusterSums(vectors, labels, k);
    const centroids = sums.map((s) => normalized(s));
    const docs: LabelDoc[] = items.map((it, i) => ({
      counts: counts[i],
      extra: level === 'file' ? pathTerms(it.path) : it.symbol ? pathTerms(it.symbol.replace(/[.#:]/g, '/')) : [],
      cluster: labels[i],
    }));
    const terms = cTfIdf(docs, k, options.terms ?? 5);
    const members: number[][] = Array.from({ length: k }, () => []);
    labels.forEach((c, i) => members[c].push(i));
    const order = members.map((_, c) => c).sort((a, b) => sizes[b] - sizes[a] || items[members[a][0]].path.localeCompare(items[members[b][0]].path));
    const clusters: ClusterInfo[] = order.map((c, id) => {
      const files: ClusterFile[] = members[c].map((i) => {
        const it = items[i];
        return {
          path: it.path,
          index: i,
          x: xy[i].x,
          y: xy[i].y,
          centrality: Math.round(dot(vectors[i], centroids[c]) * 1e4) / 1e4,
          ...(it.startLine !== undefined ? { startLine: it.startLine, endLine: it.endLine } : {}),
          ...(it.symbol ? { symbol: it.symbol } : {}),
        };
      });
      files.sort((a, b) => b.centrality - a.centrality || a.index - b.index);
      const words = terms[c].map((t) => t.term);
      const central = files[0];
      return {
        id,
        label: words.slice(0, 3).join(', ') || path.posix.basename(central.path),
        terms: words,
        size: files.length,
        files,
        centralFile: central.startLine !== undefined ? `${central.path}:${central.startLine}-${central.endLine}` : central.path,
      };
    });
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
      ...(candidates ? { candidates } : {}),
      ...(tree ? { tree } : {}),
      incremental: reuse,
      timings: { vectors: ms(t0, t1), terms: ms(t1, t2), cluster: ms(t2, t3), project: ms(t3, t4), labels: ms(t4, t5), total: ms(t0, t5) },
    };
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
      if (!vector) {
        const vs: Float32Array[] = [];
        for (const id of f.chunks) {
          const v = index.vectorOf(id);
          if (v) vs.push(v);
        }
        if (vs.length === 0) {
          skipped++;
          continue;
        }
        vector = meanNormalized(vs);
        // Only a complete file vector is cached (chunks still being embedded would change it).
        if (vs.length === f.chunks.length) this.fileVectors.set(f.path, { hash: f.hash, vector });
      }
      items.push({ path: f.path, hash: f.hash });
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
      if (!any) skipped++;
    }
    return { items, vectors, skipped };
  }

  /** Term counts per item, from the files on disk; only items whose content hash is new are read. */
  private async termCounts(folder: string, items: Item[], level: ClusterLevel, scope: string | undefined, maxBytes: number): Promise<TermCounts[]> {
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
          for (const it of missing.get(p)!) cache.set(it.hash, countTerms(text));
        } else {
          const read = await readTextFile(abs, Number.MAX_SAFE_INTEGER);
          const lines = read.ok ? read.text.split(/\r?\n/) : [];
          for (const it of missing.get(p)!) cache.set(it.hash, countTerms(lines.slice(it.startLine! - 1, it.endLine).join('\n').slice(0, maxBytes)));
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
