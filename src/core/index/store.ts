import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, promises as fs, readFileSync, writeFileSync, constants as FS } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { KindredError } from '../errors';
import type { Dtype } from '../embedding/models';
import { LexicalIndex } from './lexical';

/** Bumped whenever the on-disk layout changes; an index of another format is rebuilt, never misread. */
export const FORMAT_VERSION = 1;

export interface FileRecord {
  path: string;
  size: number;
  mtimeMs: number;
  /** Hash of the file's decoded text. */
  hash: string;
  chunks: number[];
  /**
   * Read so soon after its last modification that a later write may have kept the same size and
   * (coarse) mtime: the next update reads it again instead of trusting size and mtime ("racy git").
   */
  racy?: boolean;
}

export interface ChunkRecord {
  id: number;
  path: string;
  startLine: number;
  endLine: number;
  symbol?: string;
  /** Hash of the chunk's text: equal hashes share one embedding. */
  hash: string;
}

export interface ModelKey {
  id: string;
  dtype: Dtype;
  dims: number;
}

interface FileEntry {
  name: string;
  bytes: number;
  sha256: string;
}

interface Manifest {
  format: number;
  generation: number;
  model: ModelKey;
  folder: string;
  files: { vectors: FileEntry; meta: FileEntry; lexical: FileEntry };
  stats: { files: number; chunks: number; vectors: number };
  updatedAt: string;
}

/** Compact JSON for metadata: one row per file and per chunk, paths stored once. */
interface MetaJson {
  nextId: number;
  /** A 5th element 1 marks a racy file (older readers ignore it). */
  files: ([path: string, size: number, mtimeMs: number, hash: string] | [path: string, size: number, mtimeMs: number, hash: string, racy: 1])[];
  /** [id, file index, startLine, endLine, hash, symbol?] */
  chunks: ([number, number, number, number, string] | [number, number, number, number, string, string])[];
  /** Ids that have a vector in the HNSW index. */
  vectors: number[];
}

const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 100;

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('base64url').slice(0, 20);
}

function sha256File(file: string): Promise<string> {
  return fs.readFile(file).then((buf) => createHash('sha256').update(buf).digest('hex'));
}

function fsyncPath(p: string, dir = false): void {
  let fd: number | undefined;
  try {
    fd = openSync(p, dir ? FS.O_RDONLY : FS.O_RDWR);
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The index of one folder, in memory and on disk: file and chunk metadata, an HNSW graph of
 * chunk vectors (hnswlib-node), and a BM25 index. Chunks may exist before their vector does
 * (lexical search works while embedding proceeds).
 *
 * On disk, every save writes a new generation of data files and then atomically replaces
 * `manifest.json`, which names them with their sizes and SHA-256. A crash at any moment
 * leaves the previous manifest and its files intact; on open, checksums catch anything else.
 */
export class IndexStore {
  readonly files = new Map<string, FileRecord>();
  readonly chunks = new Map<number, ChunkRecord>();
  /** hash → ids of chunks with that text (usually one). */
  private readonly byHash = new Map<string, Set<number>>();
  readonly vectorIds = new Set<number>();
  lexical = LexicalIndex.empty();
  private hnsw: HierarchicalNSW;
  private nextId = 1;
  private generation = 0;
  /** Changes since the last save. */
  dirty = false;

  private constructor(
    readonly dir: string,
    readonly folder: string,
    readonly model: ModelKey,
  ) {
    this.hnsw = IndexStore.newGraph(model.dims, 1024);
  }

  private static newGraph(dims: number, capacity: number): HierarchicalNSW {
    const g = new HierarchicalNSW('ip', dims);
    g.initIndex({ maxElements: capacity, m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, randomSeed: 42, allowReplaceDeleted: true });
    return g;
  }

  get generationNumber(): number {
    return this.generation;
  }

  static create(dir: string, folder: string, model: ModelKey): IndexStore {
    return new IndexStore(dir, folder, model);
  }

  /** What the manifest in `dir` says about the model, without loading anything else; undefined if there is no index. */
  static async peek(dir: string): Promise<{ model: ModelKey; format: number; generation: number } | undefined> {
    try {
      const m = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
      return { model: m.model, format: m.format, generation: m.generation };
    } catch {
      return undefined;
    }
  }

  /**
   * Opens the index in `dir`. Throws KindredError 'index-missing' when there is none and
   * 'index-corrupt' when a file is missing, truncated, altered or inconsistent.
   */
  static async open(dir: string): Promise<IndexStore> {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new KindredError('index-missing', `No index in ${dir}.`);
      throw new KindredError('index-corrupt', `The index manifest in ${dir} is unreadable.`);
    }
    if (manifest.format !== FORMAT_VERSION) {
      throw new KindredError('index-corrupt', `The index in ${dir} has format ${manifest.format}; this version reads format ${FORMAT_VERSION}.`);
    }
    for (const entry of Object.values(manifest.files)) {
      const file = path.join(dir, entry.name);
      let ok = false;
      try {
        const st = await fs.stat(file);
        ok = st.size === entry.bytes && (await sha256File(file)) === entry.sha256;
      } catch {
        ok = false;
      }
      if (!ok) throw new KindredError('index-corrupt', `Index file ${entry.name} is missing or damaged (checksum mismatch).`);
    }
    const store = new IndexStore(dir, manifest.folder, manifest.model);
    store.generation = manifest.generation;
    try {
      const meta = JSON.parse(await fs.readFile(path.join(dir, manifest.files.meta.name), 'utf8')) as MetaJson;
      store.nextId = meta.nextId;
      const paths: string[] = [];
      for (const [p, size, mtimeMs, hash, racy] of meta.files) {
        paths.push(p);
        store.files.set(p, { path: p, size, mtimeMs, hash, chunks: [], ...(racy ? { racy: true } : {}) });
      }
      for (const row of meta.chunks) {
        const [id, fileIdx, startLine, endLine, hash, symbol] = row;
        const p = paths[fileIdx];
        const rec: ChunkRecord = { id, path: p, startLine, endLine, hash, ...(symbol ? { symbol } : {}) };
        store.chunks.set(id, rec);
        store.files.get(p)!.chunks.push(id);
        store.indexHash(rec);
      }
      for (const id of meta.vectors) store.vectorIds.add(id);
      store.hnsw = new HierarchicalNSW('ip', manifest.model.dims);
      store.hnsw.readIndexSync(path.join(dir, manifest.files.vectors.name), true);
      store.lexical = LexicalIndex.fromJSON(await fs.readFile(path.join(dir, manifest.files.lexical.name), 'utf8'));
    } catch (e) {
      if (e instanceof KindredError) throw e;
      throw new KindredError('index-corrupt', `The index in ${dir} could not be read: ${(e as Error).message}`);
    }
    const problem = store.checkIntegrity();
    if (problem) throw new KindredError('index-corrupt', `The index in ${dir} is inconsistent: ${problem}.`);
    return store;
  }

  /** Returns a description of the first inconsistency between metadata, vectors and the lexical index, or undefined. */
  checkIntegrity(): string | undefined {
    for (const f of this.files.values()) {
      for (const id of f.chunks) if (this.chunks.get(id)?.path !== f.path) return `file ${f.path} lists chunk ${id} that is not its own`;
    }
    for (const c of this.chunks.values()) {
      const f = this.files.get(c.path);
      if (!f || !f.chunks.includes(c.id)) return `chunk ${c.id} belongs to no file`;
      if (!this.lexical.has(c.id)) return `chunk ${c.id} is missing from the lexical index`;
      if (c.id >= this.nextId) return `chunk id ${c.id} is beyond the id counter`;
    }
    if (this.lexical.size !== this.chunks.size) return `lexical index has ${this.lexical.size} documents for ${this.chunks.size} chunks`;
    const live = new Set(this.hnsw.getIdsList());
    for (const id of this.vectorIds) {
      if (!this.chunks.has(id)) return `vector ${id} has no chunk`;
      if (!live.has(id)) return `chunk ${id} has no vector in the graph`;
    }
    return undefined;
  }

  private indexHash(rec: ChunkRecord): void {
    let set = this.byHash.get(rec.hash);
    if (!set) this.byHash.set(rec.hash, (set = new Set()));
    set.add(rec.id);
  }

  /** A stored vector for a chunk text hash, if any chunk with that text has been embedded. */
  vectorForHash(hash: string): Float32Array | undefined {
    const ids = this.byHash.get(hash);
    if (!ids) return undefined;
    for (const id of ids) if (this.vectorIds.has(id)) return Float32Array.from(this.hnsw.getPoint(id));
    return undefined;
  }

  vectorOf(id: number): Float32Array | undefined {
    return this.vectorIds.has(id) ? Float32Array.from(this.hnsw.getPoint(id)) : undefined;
  }

  /** Replaces a file's chunks (or removes the file when `chunks` is undefined). Returns the new chunk records. */
  setFile(
    file: Omit<FileRecord, 'chunks'>,
    chunks: { startLine: number; endLine: number; symbol?: string; hash: string; text: string }[] | undefined,
  ): ChunkRecord[] {
    this.removeFile(file.path);
    if (!chunks) return [];
    const records: ChunkRecord[] = chunks.map((c) => ({
      id: this.nextId++,
      path: file.path,
      startLine: c.startLine,
      endLine: c.endLine,
      hash: c.hash,
      ...(c.symbol ? { symbol: c.symbol } : {}),
    }));
    this.files.set(file.path, { ...file, chunks: records.map((r) => r.id) });
    for (const r of records) {
      this.chunks.set(r.id, r);
      this.indexHash(r);
    }
    this.lexical.add(chunks.map((c, i) => ({ id: records[i].id, text: c.text, path: file.path, symbol: c.symbol ?? '' })));
    this.dirty = true;
    return records;
  }

  /** Updates size/mtime of a file whose content is unchanged. */
  touchFile(p: string, size: number, mtimeMs: number, racy = false): void {
    const f = this.files.get(p);
    if (f && (f.size !== size || f.mtimeMs !== mtimeMs || !!f.racy !== racy)) {
      f.size = size;
      f.mtimeMs = mtimeMs;
      if (racy) f.racy = true;
      else delete f.racy;
      this.dirty = true;
    }
  }

  removeFile(p: string): void {
    const f = this.files.get(p);
    if (!f) return;
    this.files.delete(p);
    this.lexical.remove(f.chunks);
    for (const id of f.chunks) {
      const c = this.chunks.get(id);
      this.chunks.delete(id);
      if (c) {
        const set = this.byHash.get(c.hash);
        set?.delete(id);
        if (set && set.size === 0) this.byHash.delete(c.hash);
      }
      if (this.vectorIds.delete(id)) this.hnsw.markDelete(id);
    }
    this.dirty = true;
  }

  /** Stores a chunk's vector (normalized). Ignored if the chunk is gone meanwhile. */
  addVector(id: number, vector: Float32Array): void {
    if (!this.chunks.has(id) || this.vectorIds.has(id)) return;
    const need = this.hnsw.getCurrentCount() + 1;
    if (need > this.hnsw.getMaxElements()) this.hnsw.resizeIndex(Math.max(1024, Math.ceil(this.hnsw.getMaxElements() * 1.5)));
    this.hnsw.addPoint(Array.from(vector), id, true);
    this.vectorIds.add(id);
    this.dirty = true;
  }

  /** Chunks that still need an embedding. */
  pendingIds(): number[] {
    const out: number[] = [];
    for (const id of this.chunks.keys()) if (!this.vectorIds.has(id)) out.push(id);
    return out;
  }

  /** Nearest chunks by inner product (vectors are normalized, so this is cosine similarity). */
  nearest(query: Float32Array, k: number, filter?: (id: number) => boolean): { id: number; score: number }[] {
    const n = Math.min(k, this.vectorIds.size);
    if (n === 0) return [];
    this.hnsw.setEf(Math.max(64, n * 2));
    const r = this.hnsw.searchKnn(Array.from(query), n, filter);
    return r.neighbors.map((id, i) => ({ id, score: 1 - r.distances[i] }));
  }

  /**
   * Writes a new generation atomically: data files first (fsynced), then the manifest by rename.
   * Older generations are removed afterwards.
   */
  async save(): Promise<void> {
    const gen = this.generation + 1;
    const names = { vectors: `vectors.${gen}.hnsw`, meta: `meta.${gen}.json`, lexical: `lexical.${gen}.json` };
    try {
      await this.write(gen, names);
    } catch (e) {
      const plain = unwritable(this.dir, e);
      if (!plain) throw e;
      // The previous generation is intact (the manifest was not replaced); drop this one's partial files.
      for (const name of [...Object.values(names), `manifest.json.${process.pid}.tmp`]) await fs.rm(path.join(this.dir, name), { force: true }).catch(() => undefined);
      throw plain;
    }
  }

  private async write(gen: number, names: { vectors: string; meta: string; lexical: string }): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    await this.lexical.compact();

    const fileIdx = new Map<string, number>();
    const meta: MetaJson = { nextId: this.nextId, files: [], chunks: [], vectors: [...this.vectorIds] };
    for (const f of this.files.values()) {
      fileIdx.set(f.path, meta.files.length);
      meta.files.push(f.racy ? [f.path, f.size, f.mtimeMs, f.hash, 1] : [f.path, f.size, f.mtimeMs, f.hash]);
    }
    for (const c of this.chunks.values()) {
      const row: MetaJson['chunks'][number] = c.symbol
        ? [c.id, fileIdx.get(c.path)!, c.startLine, c.endLine, c.hash, c.symbol]
        : [c.id, fileIdx.get(c.path)!, c.startLine, c.endLine, c.hash];
      meta.chunks.push(row);
    }

    const entries = {} as Manifest['files'];
    const writeData = (key: keyof Manifest['files'], data: string | Buffer): void => {
      const file = path.join(this.dir, names[key]);
      writeFileSync(file, data);
      fsyncPath(file);
    };
    writeData('meta', JSON.stringify(meta));
    writeData('lexical', this.lexical.toJSON());
    const vecFile = path.join(this.dir, names.vectors);
    this.hnsw.writeIndexSync(vecFile);
    fsyncPath(vecFile);
    for (const key of Object.keys(names) as (keyof typeof names)[]) {
      const file = path.join(this.dir, names[key]);
      const buf = readFileSync(file);
      entries[key] = { name: names[key], bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') };
    }

    const manifest: Manifest = {
      format: FORMAT_VERSION,
      generation: gen,
      model: this.model,
      folder: this.folder,
      files: entries,
      stats: { files: this.files.size, chunks: this.chunks.size, vectors: this.vectorIds.size },
      updatedAt: new Date().toISOString(),
    };
    const tmp = path.join(this.dir, `manifest.json.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(manifest, null, 1));
    fsyncPath(tmp);
    await fs.rename(tmp, path.join(this.dir, 'manifest.json'));
    fsyncPath(this.dir, true);
    this.generation = gen;
    this.dirty = false;
    await removeStale(this.dir, new Set([...Object.values(names), 'manifest.json', 'lock']));
  }

  /** Bytes on disk of the current generation (all files of the index). */
  async diskBytes(): Promise<number> {
    let total = 0;
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      total += (await fs.stat(path.join(this.dir, name)).catch(() => ({ size: 0 }))).size;
    }
    return total;
  }
}

/** Deletes files of older generations and temp files left by a crash. Only touches names the index writes. */
async function removeStale(dir: string, keep: Set<string>): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (keep.has(name)) continue;
    if (/^(vectors|meta|lexical)\.\d+\.(hnsw|json)$/.test(name) || /^manifest\.json\.\d+\.tmp$/.test(name)) {
      await fs.rm(path.join(dir, name), { force: true });
    }
  }
}

/** Removes an index's own files (for a rebuild after corruption or a model change); leaves anything else alone. */
export async function clearIndexDir(dir: string): Promise<void> {
  await removeStale(dir, new Set(['lock']));
  await fs.rm(path.join(dir, 'manifest.json'), { force: true });
}

/** A plain-words error for a failed write to the index directory (permissions, full disk), or undefined. */
export function unwritable(dir: string, e: unknown): KindredError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full'
      : code === 'EROFS'
        ? 'the file system is read-only'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : undefined;
  if (!why) return undefined;
  return new KindredError(
    'index-unwritable',
    `Cannot write the index in ${dir}: ${why}.`,
    why === 'the disk is full' ? 'Free some disk space; the index is brought up to date on the next run.' : 'Make that folder writable, or choose another index location (--index-dir).',
  );
}

/** Tokens of the locks this process holds: two engines of one process (or two tests) exclude each other too. */
const heldLocks = new Set<string>();

interface LockOwner {
  pid?: number;
  host?: string;
  token?: string;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function lockedError(dir: string, owner: LockOwner): KindredError {
  return new KindredError(
    'index-locked',
    owner.pid === process.pid ? `Kindred is already updating the index in ${dir}.` : `Another Kindred process (pid ${owner.pid ?? '?'}) is updating the index in ${dir}.`,
    'Wait for it to finish, or use --no-update to search the index as it is.',
  );
}

/**
 * A write lock on an index directory, so two writers (processes, or engines of one process) never
 * update one index at once. Held by a lock file with the owner's pid and a random token; a lock
 * whose owner is dead is taken over (a lock with our own pid that this process does not hold is
 * a dead predecessor's: pids repeat, e.g. pid 1 in containers).
 */
export class IndexLock {
  private constructor(
    private readonly file: string,
    private readonly token: string,
  ) {}

  static async acquire(dir: string): Promise<IndexLock> {
    try {
      return await IndexLock.tryAcquire(dir);
    } catch (e) {
      throw unwritable(dir, e) ?? e;
    }
  }

  private static async tryAcquire(dir: string): Promise<IndexLock> {
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'lock');
    let tookOver = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomUUID();
      try {
        const fd = openSync(file, FS.O_CREAT | FS.O_EXCL | FS.O_WRONLY);
        writeFileSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString(), token }));
        closeSync(fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // Empty or half-written lock: its writer died between create and write, or is writing now.
        let owner = readOwner(file);
        if (!owner) {
          await new Promise((r) => setTimeout(r, 50));
          owner = readOwner(file) ?? {};
        }
        const self = owner.pid === process.pid && owner.host === os.hostname();
        if (self && owner.token !== undefined && heldLocks.has(owner.token)) throw lockedError(dir, owner);
        if (!self && owner.pid && owner.host === os.hostname() && isAlive(owner.pid)) throw lockedError(dir, owner);
        await fs.rm(file, { force: true }); // stale: its owner is gone
        tookOver = true;
        continue;
      }
      if (tookOver) {
        // Two processes that found the same stale lock could each remove it and create their own;
        // the one whose lock is no longer there a moment later backs off.
        await new Promise((r) => setTimeout(r, 30));
        const now = readOwner(file);
        if (now?.token !== token) throw lockedError(dir, now ?? {});
      }
      heldLocks.add(token);
      return new IndexLock(file, token);
    }
    throw new KindredError('index-locked', `Could not lock the index in ${dir}.`, 'Wait a moment and try again.');
  }

  /** Removes the lock file if it is still this lock's (never another writer's). */
  async release(): Promise<void> {
    heldLocks.delete(this.token);
    if (readOwner(this.file)?.token === this.token) await fs.rm(this.file, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
