/**
 * Read-only views of an index's files, chunks and vector ids, answered from SQLite on demand (nothing per chunk
 * is kept in the JS heap). The statements are the store's (store.ts).
 */
import type { StatementSyncInstance } from '@photostructure/sqlite';
import type { ChunkRecord, FileRecord } from './records';

export interface ChunkRow {
  id: number;
  path: string;
  start: number;
  end: number;
  hash: string;
  symbol: string | null;
}

export function toRecord(r: ChunkRow): ChunkRecord {
  return { id: r.id, path: r.path, startLine: r.start, endLine: r.end, hash: r.hash, ...(r.symbol ? { symbol: r.symbol } : {}) };
}

function fileRecord(st: Record<string, StatementSyncInstance>, r: { id: number; path: string; size: number; mtime: number; hash: string; racy: number }): FileRecord {
  const rec = { path: r.path, size: r.size, mtimeMs: r.mtime, hash: r.hash, ...(r.racy ? { racy: true } : {}) } as FileRecord;
  Object.defineProperty(rec, 'chunks', {
    enumerable: false,
    get: () => (st.chunkIdsOfFile.all(r.id) as { id: number }[]).map((c) => c.id),
  });
  return rec;
}

/** The files of an index, read from SQLite on demand (a read-only Map's interface). */
export class FilesView implements ReadonlyMap<string, FileRecord> {
  constructor(private readonly st: Record<string, StatementSyncInstance>) {}
  get size(): number {
    return Number((this.st.countFiles.get() as { n: number }).n);
  }
  get(p: string): FileRecord | undefined {
    const r = this.st.fileByPath.get(p) as Parameters<typeof fileRecord>[1] | undefined;
    return r ? fileRecord(this.st, r) : undefined;
  }
  has(p: string): boolean {
    return this.st.fileIdByPath.get(p) !== undefined;
  }
  *entries(): MapIterator<[string, FileRecord]> {
    for (const r of this.st.allFiles.all() as Parameters<typeof fileRecord>[1][]) yield [r.path, fileRecord(this.st, r)];
  }
  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): MapIterator<FileRecord> {
    for (const [, v] of this.entries()) yield v;
  }
  forEach(fn: (v: FileRecord, k: string, m: ReadonlyMap<string, FileRecord>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
  [Symbol.iterator](): MapIterator<[string, FileRecord]> {
    return this.entries();
  }
}

/** The chunks of an index, read from SQLite on demand. */
export class ChunksView implements ReadonlyMap<number, ChunkRecord> {
  constructor(private readonly st: Record<string, StatementSyncInstance>) {}
  get size(): number {
    return Number((this.st.countChunks.get() as { n: number }).n);
  }
  get(id: number): ChunkRecord | undefined {
    const r = this.st.chunk.get(id) as ChunkRow | undefined;
    return r ? toRecord(r) : undefined;
  }
  /** Many records in one query. */
  getMany(ids: readonly number[]): Map<number, ChunkRecord> {
    const out = new Map<number, ChunkRecord>();
    if (ids.length === 0) return out;
    for (const r of this.st.chunksByIds.all(JSON.stringify(ids)) as ChunkRow[]) out.set(r.id, toRecord(r));
    return out;
  }
  has(id: number): boolean {
    return this.st.hasVec.get(id) !== undefined;
  }
  /** Streams all chunks from the database (one query, rows read as iterated). */
  *entries(): MapIterator<[number, ChunkRecord]> {
    for (const r of this.st.allChunks.iterate() as Iterable<ChunkRow>) yield [r.id, toRecord(r)];
  }
  *keys(): MapIterator<number> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): MapIterator<ChunkRecord> {
    for (const [, v] of this.entries()) yield v;
  }
  forEach(fn: (v: ChunkRecord, k: number, m: ReadonlyMap<number, ChunkRecord>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
  [Symbol.iterator](): MapIterator<[number, ChunkRecord]> {
    return this.entries();
  }
}

/** Which chunks have a vector (read from SQLite); size is the graph's live count. */
export class VectorIdsView {
  constructor(
    private readonly st: Record<string, StatementSyncInstance>,
    private readonly live: () => number,
  ) {}
  get size(): number {
    return this.live();
  }
  has(id: number): boolean {
    return (this.st.hasVec.get(id) as { vec: number } | undefined)?.vec === 1;
  }
}
