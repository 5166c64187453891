import * as path from 'node:path';
import { chunkText, type Chunk } from './chunking/chunker';
import { promises as fs } from 'node:fs';
import { StreamingEmbedder } from './streamEmbed';
import { lengthBatches } from './embedding/batching';
import { discoverFiles, IgnoreMatcher, type DiscoveredFile } from './discovery';
import type { Logger } from './log';
import { bodyHash, hashText, type IndexStore } from './index/store';
import type { FileRecord } from './index/records';
import { isGeneratedFile } from './ranking/generated';
import { readTextFile, type SkipReason } from './text';
import { CHUNKING_VERSION, embeddingText, recordEmbeddingText } from './chunking/embedText';
import { fileSummary } from './chunking/fileSummary';

/** Prefix of every file hash: the chunking that cut the file (see fileHashOf). */
const CHUNKING_TAG = `${CHUNKING_VERSION}:`;

/** A file's hash as the index keeps it: its text's hash, tagged with the chunking version. */
export function fileHashOf(text: string): string {
  return CHUNKING_TAG + hashText(text);
}

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

/**
 * What the indexer needs from the embedding side: a batch embedder and the chunk budget.
 * Without `embedPassages` (no model available) chunks enter the lexical index only and stay
 * pending; a later update with a model embeds them.
 */
export interface EmbedDeps {
  embedPassages?(texts: string[]): Promise<Float32Array[]>;
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
  /** Embed while chunking (default); false: only after every file is chunked, in waves (tests of the waves' checkpoints). */
  streamEmbedding?: boolean;
  /** Save a checkpoint at least this often while embedding (ms; checked between rounds of batches). */
  checkpointMs?: number;
  /** Files to embed first (open or recently edited), relative paths. */
  priority?: ReadonlySet<string>;
  /** Only look at these relative paths (a watcher's batch); files not listed are left as they are. */
  only?: readonly string[];
}

/** Items per batch and padded tokens per batch: similar lengths share a batch so little is padding. */
const WAVE = 512;

/**
 * A file modified less than this long (ms) before it was read may change again without its size or
 * mtime changing (mtimes are coarse: a few ms on Linux, 1-2 s on some file systems). Such a file is
 * marked racy and read again by the next update rather than trusted by size and mtime.
 */
const RACY_MS = 2000;

function isRacy(mtimeMs: number): boolean {
  return Date.now() - mtimeMs < RACY_MS;
}

/** The record of a file just read: size, mtime, text hash, racy (judged when it was read), and whether its text says it is generated. */
function fileEntry(rel: string, read: { text: string; size: number; mtimeMs: number }, hash = fileHashOf(read.text), racy = isRacy(read.mtimeMs)): Omit<FileRecord, 'chunks'> {
  return { path: rel, size: read.size, mtimeMs: read.mtimeMs, hash, ...(racy ? { racy } : {}), ...(isGeneratedFile(rel, read.text) ? { generated: true } : {}) };
}

let lastBreath = 0;

/** Lets the event loop run (watcher events, search requests) at least every 20 ms of reading and chunking. */
async function breathe(): Promise<void> {
  if (performance.now() - lastBreath < 20) return;
  await new Promise((r) => setImmediate(r));
  lastBreath = performance.now();
}

class Cancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'AbortError';
  }
}

/** Why a file read may hold nothing to index, decided by its content alone (a change to it changes its size or mtime). */
const NOTHING_TO_INDEX: ReadonlySet<SkipReason> = new Set<SkipReason>(['empty', 'binary', 'encoding']);

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
  // A file chunked by another version of the chunker is chunked again (its unchanged chunks keep their vectors).
  const changed = discovered.filter((f) => {
    const rec = store.files.get(f.rel);
    return !rec || rec.racy || rec.size !== f.size || rec.mtimeMs !== f.mtimeMs || !rec.hash.startsWith(CHUNKING_TAG);
  });
  // Open and recently edited files first, then newest first: the order embedding follows.
  const first = (rel: string): number => (options.priority?.has(rel) ? 1 : 0);
  changed.sort((a, b) => first(b.rel) - first(a.rel) || b.mtimeMs - a.mtimeMs);
  const reusable = new Map<string, Float32Array>();
  const pendingText = new Map<number, string>();
  // Embedding starts with the first file chunked; what it has not started when chunking ends is left to the waves below.
  const streamer = deps.embedPassages && options.streamEmbedding !== false ? new StreamingEmbedder(store, deps.embedPassages.bind(deps), deps.concurrency) : undefined;
  let done = 0;
  try {
    for (const f of changed) {
      await breathe();
      check();
      onProgress?.({ phase: 'chunking', done: done++, total: changed.length });
      const read = await readTextFile(path.join(root, f.rel), options.maxFileBytes);
      if (!read.ok) {
        logger.info(`skipped ${f.rel}: ${read.reason}${read.detail ? ` (${read.detail})` : ''}`);
        skipped++;
        if (NOTHING_TO_INDEX.has(read.reason)) {
          // Its content says so: it is recorded with no chunks, and read again only once it changes (not on every update).
          store.setFile({ path: f.rel, size: f.size, mtimeMs: f.mtimeMs, hash: fileHashOf(''), ...(isRacy(f.mtimeMs) ? { racy: true } : {}) }, []);
          continue;
        }
        // A file caught mid-write keeps its entry; its size and mtime differ, so it is read again next time.
        if (store.files.has(f.rel) && read.reason !== 'changing') {
          store.removeFile(f.rel);
          deleted++;
        }
        continue;
      }
      const fileHash = fileHashOf(read.text);
      const racy = isRacy(read.mtimeMs);
      const prev = store.files.get(f.rel);
      if (prev && prev.hash === fileHash) {
        store.touchFile(f.rel, read.size, read.mtimeMs, racy);
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
      const hashed = chunks.map((c) => ({ ...c, hash: hashText(embeddingText(f.rel, c)), body: bodyHash(c.text) }));
      for (const c of hashed) {
        if (!reusable.has(c.hash)) {
          const v = store.vectorForHash(c.hash);
          if (v) reusable.set(c.hash, v);
        }
      }
      const records = store.setFile(fileEntry(f.rel, read, fileHash, racy), hashed);
      records.forEach((r, i) => {
        const v = reusable.get(r.hash);
        if (v) store.addVector(r.id, v);
        else {
          const text = embeddingText(f.rel, hashed[i]);
          pendingText.set(r.id, text);
          streamer?.push(r.id, r.hash, text);
        }
      });
    }
  } catch (e) {
    await streamer?.stop().catch(() => undefined);
    throw e;
  }
  // A failed embedding call (the model's worker died twice) fails the update, after the keyword commit.
  let streamError: unknown;
  await streamer?.stop().catch((e: unknown) => (streamError = e));
  onProgress?.({ phase: 'chunking', done: changed.length, total: changed.length });
  for (const p of gone) store.removeFile(p);
  // The keyword index is committed as soon as every file is chunked, before the bulk of the embedding:
  // other readers (another window, the CLI, an agent) find the new files by keywords at once.
  if (store.dirty) await store.save();
  if (streamError !== undefined) throw streamError;

  // Chunks without a vector: this run's new ones plus any left by an interrupted run.
  // Without an embedder (no model) they stay pending, searchable by keywords.
  const embed = deps.embedPassages?.bind(deps);
  let embedded = streamer?.embedded ?? 0;
  if (embed) embedded += await embedPending(store, embed, deps.concurrency, await resumePending(store, root, deps, pendingText, options), pendingText, options, check);

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

/**
 * Chunks without a vector and their texts: this run's new chunks (texts known) and chunks left
 * pending by an earlier run (interrupted, or run without a model), re-read from their files. A
 * text is used only if its hash is the chunk's, since vectors are reused by hash. A line range is
 * the chunk's text except for pieces of a line too long for one chunk: those come from re-chunking
 * the file; a file whose pending chunks cannot be recovered that way is indexed afresh.
 */
async function resumePending(store: IndexStore, root: string, deps: EmbedDeps, texts: Map<number, string>, options: UpdateOptions): Promise<number[]> {
  const byFile = new Map<string, number[]>();
  for (const id of store.pendingIds()) {
    if (texts.has(id)) continue;
    const c = store.chunks.get(id)!;
    const list = byFile.get(c.path);
    if (list) list.push(id);
    else byFile.set(c.path, [id]);
  }
  for (const [rel, ids] of byFile) {
    await breathe();
    const read = await readTextFile(path.join(root, rel), options.maxFileBytes);
    if (!read.ok) continue;
    const lines = read.text.split(/\r?\n/);
    const summary = fileSummary(rel, read.text);
    let fresh: (Chunk & { hash: string; body: string })[] | undefined;
    const rechunk = async (): Promise<(Chunk & { hash: string; body: string })[]> => {
      if (!fresh) {
        try {
          fresh = (await chunkText(rel, read.text, { maxTokens: deps.chunkTokens, countTokens: deps.countTokens })).map((k) => ({ ...k, hash: hashText(embeddingText(rel, k)), body: bodyHash(k.text) }));
        } catch {
          fresh = []; // stays pending; the file is re-chunked when it changes
        }
      }
      return fresh;
    };
    let lost = false;
    for (const id of ids) {
      const c = store.chunks.get(id)!;
      let text: string | undefined = recordEmbeddingText(rel, c, lines, summary);
      if (hashText(text) !== c.hash) {
        const k = (await rechunk()).find((x) => x.hash === c.hash);
        text = k && embeddingText(rel, k);
      }
      if (text === undefined) lost = true;
      else texts.set(id, text);
    }
    if (lost && fresh && fresh.length > 0) {
      const reusable = new Map<string, Float32Array>();
      for (const k of fresh) {
        const v = reusable.has(k.hash) ? undefined : store.vectorForHash(k.hash);
        if (v) reusable.set(k.hash, v);
      }
      const chunks = fresh;
      const records = store.setFile(fileEntry(rel, read), chunks);
      records.forEach((r, i) => {
        const v = reusable.get(r.hash);
        if (v) store.addVector(r.id, v);
        else texts.set(r.id, embeddingText(rel, chunks[i]));
      });
    }
  }
  return store.pendingIds();
}

async function embedPending(
  store: IndexStore,
  embed: (texts: string[]) => Promise<Float32Array[]>,
  concurrency: number,
  pending: number[],
  texts: Map<number, string>,
  options: UpdateOptions,
  check: () => void,
): Promise<number> {
  const wanted = new Set(pending.filter((id) => texts.has(id)));
  if (wanted.size === 0) return 0;
  // Open and recently edited files first, then newest files first (ordered by the store in one query).
  const ids = store.pendingOrder(options.priority).filter((id) => wanted.has(id));
  // The graph is sized once for everything this run adds, not grown step by step.
  store.reserve(store.vectorIds.size + ids.length);

  const checkpointMs = options.checkpointMs ?? 30_000;
  let lastSave = performance.now();
  const due = (): boolean => performance.now() - lastSave >= checkpointMs;
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
    const batches = lengthBatches(unique, (u) => u.text.length);

    // Rounds of batches, `concurrency` in flight. A runner stops taking batches once a checkpoint is
    // due (after at least one, so progress never stalls); the checkpoint is saved when every batch in
    // flight is done, so a save never races with vectors being added.
    let next = 0;
    const runOne = async (): Promise<void> => {
      for (let first = true; next < batches.length && (first || !due()); first = false) {
        check();
        const batch = batches[next++];
        const vectors = await embed(batch.map((u) => u.text));
        batch.forEach((u, i) => {
          for (const id of u.group) store.addVector(id, vectors[i]);
          embedded += u.group.length;
        });
        options.onProgress?.({ phase: 'embedding', done: embedded, total: ids.length });
      }
    };
    while (next < batches.length) {
      await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runOne));
      if (due() && (next < batches.length || w + WAVE < ids.length)) {
        check();
        await store.save();
        lastSave = performance.now();
      }
    }
  }
  return embedded;
}
