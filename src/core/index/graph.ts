import { closeSync, fsyncSync, openSync, promises as fs, readFileSync, statSync, constants as FS } from 'node:fs';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import * as path from 'node:path';
import { HierarchicalNSW } from 'hnswlib-node';
import { failpoint } from './failpoint';

const HNSW_M = 16;
const HNSW_EF_CONSTRUCTION = 100;
/**
 * The smallest search breadth, whatever k: a query unlike the code it looks for (one word: "Mutex") can start far from
 * its neighbours, and at 64 one such query on a 22,531-chunk index (abseil-cpp) found none of its true top 10, while
 * 128 found all of them (recall@10 of 102 labelled queries on seven indexes of six repositories: 0.937–1.000 at 64,
 * 1.000 at 128). Search time grows about in proportion; next to embedding the query it stays small.
 */
const HNSW_EF_SEARCH_MIN = 128;

/** What the store records about the snapshot on disk (in its meta table). */
export interface SnapshotInfo {
  name: string;
  /** The last commit whose vectors the snapshot contains. */
  seq: number;
  bytes: number;
  checksum: string;
}

/** A fast checksum of a snapshot file: CRC-32 (zlib, in C) where Node has it, else SHA-1. */
export function checksumOf(buf: Buffer): string {
  const crc32 = (zlib as unknown as { crc32?: (b: Buffer) => number }).crc32;
  return crc32 ? `crc32:${crc32(buf).toString(16)}` : `sha1:${createHash('sha1').update(buf).digest('hex')}`;
}

export function fsyncPath(p: string, dir = false): void {
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
 * The HNSW graph (hnswlib-node) held in memory for queries: derived state. The store of record is
 * SQLite; on disk the graph is a snapshot file that says which commit it contains, and vectors
 * committed later are replayed from the store when it is opened.
 *
 * While a snapshot is being written (on a libuv thread, so queries keep running) the graph is not
 * changed: additions and deletions wait in a queue and are applied once the write is done.
 */
export class VectorGraph {
  private g: HierarchicalNSW;
  /** Vectors in the graph that are not deleted. */
  live = 0;
  private writing = false;
  private readonly queue: ({ add: number; vector: Float32Array } | { del: number })[] = [];

  constructor(
    readonly dims: number,
    capacity: number,
  ) {
    this.g = VectorGraph.empty(dims, capacity);
  }

  private static empty(dims: number, capacity: number): HierarchicalNSW {
    const g = new HierarchicalNSW('ip', dims);
    g.initIndex({ maxElements: Math.max(1024, capacity), m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, randomSeed: 42, allowReplaceDeleted: true });
    return g;
  }

  /** Loads a snapshot file; throws if it is missing or its size or checksum differ from `info`. */
  /**
   * Loads a snapshot file; throws if it is missing or its size (and, with `verifyChecksum`, its
   * checksum) differ from `info`. A big index's checksum is verified in the background instead.
   */
  static load(dir: string, info: SnapshotInfo, dims: number, capacity: number, verifyChecksum = true): VectorGraph {
    const file = path.join(dir, info.name);
    try {
      if (verifyChecksum) {
        const buf = readFileSync(file);
        if (buf.length !== info.bytes || checksumOf(buf) !== info.checksum) throw new Error(`${info.name} is damaged (size or checksum mismatch)`);
      } else if (statSync(file).size !== info.bytes) {
        throw new Error(`${info.name} is damaged (size mismatch)`);
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new Error(`${info.name} is missing`);
      if (code) throw new Error(`${info.name} cannot be read`);
      throw e;
    }
    const vg = new VectorGraph(dims, 1);
    const g = new HierarchicalNSW('ip', dims);
    g.readIndexSync(file, true);
    if (g.getNumDimensions() !== dims) throw new Error(`snapshot ${info.name} has ${g.getNumDimensions()} dimensions, expected ${dims}`);
    if (g.getMaxElements() < capacity) g.resizeIndex(capacity);
    vg.g = g;
    vg.live = g.getCurrentCount(); // corrected by the caller (deleted labels are counted too)
    return vg;
  }

  /** Labels in the graph, deleted ones included. */
  labels(): number[] {
    return this.g.getIdsList();
  }

  get capacity(): number {
    return this.g.getMaxElements();
  }

  /** Makes room for `n` vectors in all, so a build does not grow the graph step by step. */
  reserve(n: number): void {
    if (n > this.g.getMaxElements()) this.g.resizeIndex(n);
  }

  has(id: number): boolean {
    const q = this.queued(id);
    if (q !== undefined) return q !== null;
    try {
      this.g.getPoint(id);
      return true;
    } catch {
      return false;
    }
  }

  get(id: number): Float32Array | undefined {
    const q = this.queued(id);
    if (q !== undefined) return q ?? undefined;
    try {
      return Float32Array.from(this.g.getPoint(id));
    } catch {
      return undefined;
    }
  }

  /** The last queued change to `id` while a write runs: its vector, null for a deletion, undefined for none. */
  private queued(id: number): Float32Array | null | undefined {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const op = this.queue[i];
      if ('add' in op && op.add === id) return op.vector;
      if ('del' in op && op.del === id) return null;
    }
    return undefined;
  }

  add(id: number, vector: Float32Array): void {
    if (this.writing) {
      this.queue.push({ add: id, vector });
      return;
    }
    const need = this.g.getCurrentCount() + 1;
    if (need > this.g.getMaxElements()) this.g.resizeIndex(Math.max(1024, Math.ceil(this.g.getMaxElements() * 1.5)));
    this.g.addPoint(Array.from(vector), id, true);
    this.live++;
  }

  delete(id: number): void {
    if (this.writing) {
      this.queue.push({ del: id });
      return;
    }
    try {
      this.g.markDelete(id);
      this.live--;
    } catch {
      // not in the graph (never embedded, or already deleted)
    }
  }

  nearest(query: Float32Array, k: number, filter?: (id: number) => boolean): { id: number; score: number }[] {
    const n = Math.min(k, this.live);
    if (n <= 0) return [];
    this.g.setEf(Math.max(HNSW_EF_SEARCH_MIN, n * 2));
    const r = this.g.searchKnn(Array.from(query), n, filter);
    return r.neighbors.map((id, i) => ({ id, score: 1 - r.distances[i] }));
  }

  /**
   * Writes the graph to `<dir>/<name>` atomically (temp file, fsync, rename) without blocking the
   * event loop; the graph stays frozen (changes queued) until the write ends. Returns its size and checksum.
   */
  async write(dir: string, name: string): Promise<{ bytes: number; checksum: string }> {
    const tmp = path.join(dir, `${name}.${process.pid}.tmp`);
    this.writing = true;
    try {
      await this.g.writeIndex(tmp);
    } finally {
      this.writing = false;
      this.drain();
    }
    failpoint('snapshot-written');
    fsyncPath(tmp);
    const buf = await fs.readFile(tmp);
    const info = { bytes: buf.length, checksum: checksumOf(buf) };
    await fs.rename(tmp, path.join(dir, name));
    fsyncPath(dir, true);
    failpoint('snapshot-renamed');
    return info;
  }

  private drain(): void {
    for (const op of this.queue.splice(0)) {
      if ('add' in op) this.add(op.add, op.vector);
      else this.delete(op.del);
    }
  }
}
