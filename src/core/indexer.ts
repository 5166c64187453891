import * as path from 'node:path';
import { chunkText, type Chunk } from './chunking/chunker';
import { promises as fs } from 'node:fs';
import { discoverFiles, IgnoreMatcher, type DiscoveredFile } from './discovery';
import type { Logger } from './log';
import { hashText, type IndexStore } from './index/store';
import { readTextFile } from './text';

/** What one update did. `reused` counts chunks whose vector was not computed in this run. */
export interface UpdateSummary {
  files: number;
  chunks: number;
  embedded: number;
  reused: number;
  deleted: number;
  skipped: number;
  seconds: number;
}

export type UpdatePhase = 'scanning' | 'chunking' | 'embedding' | 'saving';

export interface Progress {
  phase: UpdatePhase;
  done: number;
  total: number;
}

/** What the indexer needs from the embedding side: a batch embedder and the chunk budget. */
export interface EmbedDeps {
  embedPassages(texts: string[]): Promise<Float32Array[]>;
  countTokens(text: string): number;
  /** Token budget for a chunk's text. */
  chunkTokens: number;
  /** Batches to keep in flight (workers × 2 keeps every worker fed). */
  concurrency: number;
}

export interface UpdateOptions {
  exclude?: readonly string[];
  maxFileBytes: number;
  logger: Logger;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** Save a checkpoint at least this often while embedding (ms). */
  checkpointMs?: number;
  /** Files to embed first (open or recently edited), relative paths. */
  priority?: ReadonlySet<string>;
  /** Only look at these relative paths (a watcher's batch); files not listed are left as they are. */
  only?: readonly string[];
}

/** Items per batch and padded tokens per batch: similar lengths share a batch so little is padding. */
const MAX_BATCH_ITEMS = 32;
const MAX_BATCH_CHARS = 32 * 1024;
const WAVE = 512;

class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortError';
  }
}

/**
 * Brings the store up to date with the folder: new and changed files are chunked, chunks whose
 * text was embedded before reuse that vector, deleted files leave. Chunks enter the lexical
 * index at once; vectors follow in waves (recent files first) with checkpoints saved between.
 */
export async function updateIndex(store: IndexStore, root: string, deps: EmbedDeps, options: UpdateOptions): Promise<UpdateSummary> {
  const started = performance.now();
  const { logger, onProgress, signal } = options;
  const check = (): void => {
    if (signal?.aborted) throw new Cancelled();
  };

  onProgress?.({ phase: 'scanning', done: 0, total: 0 });
  let discovered: DiscoveredFile[];
  let skipped: number;
  if (options.only) {
    ({ files: discovered, skipped } = await statPaths(root, options.only, options));
  } else {
    const result = await discoverFiles(root, { exclude: options.exclude, maxFileBytes: options.maxFileBytes, logger });
    discovered = result.files;
    skipped = result.skipped.length;
  }
  check();

  // Files that are gone (or now excluded) leave the index, after the changed files are in:
  // a renamed or moved file finds its old chunks' vectors still there to reuse.
  const present = new Set(discovered.map((f) => f.rel));
  const candidates = options.only ? options.only.filter((p) => store.files.has(p)) : [...store.files.keys()];
  const gone = candidates.filter((p) => !present.has(p));
  let deleted = gone.length;

  // Changed or new files: read, chunk, and collect vectors that can be reused by text hash.
  const changed = discovered.filter((f) => {
    const rec = store.files.get(f.rel);
    return !rec || rec.size !== f.size || rec.mtimeMs !== f.mtimeMs;
  });
  const reusable = new Map<string, Float32Array>();
  const pendingText = new Map<number, string>();
  let done = 0;
  for (const f of changed) {
    check();
    onProgress?.({ phase: 'chunking', done: done++, total: changed.length });
    const read = await readTextFile(path.join(root, f.rel), options.maxFileBytes);
    if (!read.ok) {
      logger.info(`skipped ${f.rel}: ${read.reason}${read.detail ? ` (${read.detail})` : ''}`);
      skipped++;
      if (store.files.has(f.rel)) {
        store.removeFile(f.rel);
        deleted++;
      }
      continue;
    }
    const fileHash = hashText(read.text);
    const prev = store.files.get(f.rel);
    if (prev && prev.hash === fileHash) {
      store.touchFile(f.rel, read.size, read.mtimeMs);
      continue;
    }
    let chunks: Chunk[];
    try {
      chunks = await chunkText(f.rel, read.text, { maxTokens: deps.chunkTokens, countTokens: deps.countTokens });
    } catch (e) {
      logger.warn(`could not chunk ${f.rel}: ${(e as Error).message}`);
      skipped++;
      continue;
    }
    const hashed = chunks.map((c) => ({ ...c, hash: hashText(c.text) }));
    for (const c of hashed) {
      if (!reusable.has(c.hash)) {
        const v = store.vectorForHash(c.hash);
        if (v) reusable.set(c.hash, v);
      }
    }
    const records = store.setFile({ path: f.rel, size: read.size, mtimeMs: read.mtimeMs, hash: fileHash }, hashed);
    records.forEach((r, i) => {
      const v = reusable.get(r.hash);
      if (v) store.addVector(r.id, v);
      else pendingText.set(r.id, hashed[i].text);
    });
  }
  onProgress?.({ phase: 'chunking', done: changed.length, total: changed.length });
  for (const p of gone) store.removeFile(p);

  // Chunks without a vector: this run's new ones plus any left by an interrupted run.
  const pending = store.pendingIds();
  for (const id of pending) {
    if (pendingText.has(id)) continue;
    const c = store.chunks.get(id)!;
    const text = await readChunkText(root, c.path, c.startLine, c.endLine, options.maxFileBytes);
    if (text !== undefined) pendingText.set(id, text);
  }
  const embedded = await embedPending(store, deps, pending, pendingText, options, check);

  onProgress?.({ phase: 'saving', done: 0, total: 1 });
  if (store.dirty) await store.save();
  return {
    files: store.files.size,
    chunks: store.chunks.size,
    embedded,
    reused: store.chunks.size - embedded,
    deleted,
    skipped,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}

/** Discovery for a known list of paths (a watcher's batch): the same ignore rules, one stat per path. */
async function statPaths(root: string, rels: readonly string[], options: UpdateOptions): Promise<{ files: DiscoveredFile[]; skipped: number }> {
  const matcher = new IgnoreMatcher(root, { exclude: options.exclude });
  const files: DiscoveredFile[] = [];
  let skipped = 0;
  for (const rel of new Set(rels)) {
    if (matcher.ignores(rel, false)) continue;
    try {
      const st = await fs.stat(path.join(root, rel));
      if (!st.isFile()) continue;
      if (st.size > options.maxFileBytes) {
        options.logger.info(`skipped ${rel}: too large (${st.size} bytes > ${options.maxFileBytes})`);
        skipped++;
        continue;
      }
      files.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // Gone: it leaves the index below.
    }
  }
  return { files, skipped };
}

/** Text of a chunk re-read from its file (for chunks left pending by an earlier, interrupted run). */
async function readChunkText(root: string, rel: string, start: number, end: number, maxBytes: number): Promise<string | undefined> {
  const read = await readTextFile(path.join(root, rel), maxBytes);
  if (!read.ok) return undefined;
  return read.text.split(/\r?\n/).slice(start - 1, end).join('\n');
}

async function embedPending(
  store: IndexStore,
  deps: EmbedDeps,
  pending: number[],
  texts: Map<number, string>,
  options: UpdateOptions,
  check: () => void,
): Promise<number> {
  const ids = pending.filter((id) => texts.has(id));
  if (ids.length === 0) return 0;
  // Open and recently edited files first, then newest files first.
  const prio = (id: number): number => {
    const c = store.chunks.get(id)!;
    const f = store.files.get(c.path);
    return (options.priority?.has(c.path) ? 1e15 : 0) + (f?.mtimeMs ?? 0);
  };
  ids.sort((a, b) => prio(b) - prio(a));

  const checkpointMs = options.checkpointMs ?? 30_000;
  let lastSave = performance.now();
  let embedded = 0;
  for (let w = 0; w < ids.length; w += WAVE) {
    check();
    // One text per distinct hash: duplicates share the vector.
    const wave = ids.slice(w, w + WAVE);
    const byHash = new Map<string, number[]>();
    for (const id of wave) {
      const h = store.chunks.get(id)?.hash;
      if (!h) continue;
      const list = byHash.get(h);
      if (list) list.push(id);
      else byHash.set(h, [id]);
    }
    const unique = [...byHash.values()].map((group) => ({ group, text: texts.get(group[0])! }));
    unique.sort((a, b) => a.text.length - b.text.length);
    const batches: (typeof unique)[] = [];
    let cur: typeof unique = [];
    for (const u of unique) {
      // Sorted by length, so this text is the longest in the batch: it sets the padded size.
      if (cur.length > 0 && (cur.length >= MAX_BATCH_ITEMS || u.text.length * (cur.length + 1) > MAX_BATCH_CHARS)) {
        batches.push(cur);
        cur = [];
      }
      cur.push(u);
    }
    if (cur.length) batches.push(cur);

    let next = 0;
    const runOne = async (): Promise<void> => {
      while (next < batches.length) {
        check();
        const batch = batches[next++];
        const vectors = await deps.embedPassages(batch.map((u) => u.text));
        batch.forEach((u, i) => {
          for (const id of u.group) store.addVector(id, vectors[i]);
          embedded += u.group.length;
        });
        options.onProgress?.({ phase: 'embedding', done: embedded, total: ids.length });
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, deps.concurrency) }, runOne));
    if (performance.now() - lastSave > checkpointMs && w + WAVE < ids.length) {
      await store.save();
      lastSave = performance.now();
    }
  }
  return embedded;
}
