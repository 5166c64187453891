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
  body?: string | null;
  generated?: number | null;
}

export function toRecord(r: ChunkRow): ChunkRecord {
  return { id: r.id, path: r.path, startLine: r.start, endLine: r.end, hash: r.hash, ...(r.symbol ? { symbol: r.symbol } : {}), ...(r.body ? { body: r.body } : {}), ...(r.generated ? { generated: true } : {}) };
}

function fileRecord(st: Record<string, StatementSyncInstance>, r: { id: number; path: string; size: number; mtime: number; hash: string; racy: number; generated?: number }): FileRecord {
  const rec = { path: r.path, size: r.size, mtimeMs: r.mtime, hash: r.hash, ...(r.racy ? { racy: true } : {}), ...(r.generated ? { generated: true } : {}) } as FileRecord;
  Object.defineProperty(rec, 'chunks', {
    enumerable: false,
    get: () => (st.chunkIdsOfFile.all(r.id) as { id: number }[]).map((c) => c.id),
  });
  return rec;
}

/** A read-only Map's interface over rows read on demand: a view gives its entries, the rest follows from them. */
abstract class RowsView<K, V> implements ReadonlyMap<K, V> {
  constructor(protected readonly st: Record<string, StatementSyncInstance>) {}
  abstract get size(): number;
  abstract get(key: K): V | undefined;
  abstract has(key: K): boolean;
  abstract entries(): MapIterator<[K, V]>;
  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k;
  }
  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
  forEach(fn: (v: V, k: K, m: ReadonlyMap<K, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries();
  }
}

/** The files of an index, read from SQLite on demand. */
export class FilesView extends RowsView<string, FileRecord> {
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
}

/** The chunks of an index, read from SQLite on demand. */
export class ChunksView extends RowsView<number, ChunkRecord> {
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
