/**
 * The store of one index: opening (schema, migration, checks), reads, incremental commits and HNSW snapshots.
 * Its parts live beside it: records.ts (what a file and a chunk are), layout.ts (the directory's files),
 * schema.ts (tables), views.ts (files/chunks read on demand), graph.ts (the HNSW graph), lexical.ts (FTS5).
 */
import { existsSync, mkdirSync, promises as fs, readdirSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DatabaseSync, type DatabaseSyncInstance, type StatementSyncInstance } from '@photostructure/sqlite';
import { KindredError } from '../errors';
import { failpoint } from './failpoint';
import { decodeHalf, encodeHalf } from './half';
import { VectorGraph, type SnapshotInfo } from './graph';
import { DB_FILE, FORMAT_VERSION, isOwnFile } from './layout';
import { FTS_SCHEMA, LexicalIndex } from './lexical';
import { unwritable } from './lock';
import type { ChunkRecord, DefinitionRecord, FileRecord, ModelKey, NewChunk } from './records';
import { addBodyColumn, addGeneratedColumn, addNameColumn, addNamesTable, hasBodyColumn, hasGeneratedColumn, hasNameColumn, hasNamesTable, NAME_INDEX, NAMES_SCHEMA, nameOf, SCHEMA } from './schema';
import { quickCheckInBackground, type BackgroundCheck } from './verify';
import { ChunksView, FilesView, toRecord, VectorIdsView, type ChunkRow } from './views';

export { IndexLock, unwritable } from './lock';
export { clearIndexDir, DB_FILE, FORMAT_VERSION, isFormat1File, modelDirName } from './layout';
export { bodyHash, hashText, type ChunkRecord, type DefinitionRecord, type FileRecord, type ModelKey, type NewChunk } from './records';

function sqliteCode(e: unknown): string | undefined {
  const m = String((e as Error)?.message ?? '');
  if (/disk is full|SQLITE_FULL/i.test(m)) return 'ENOSPC';
  if (/readonly database|SQLITE_READONLY/i.test(m)) return 'EROFS';
  if (/SQLITE_PERM|permission/i.test(m)) return 'EACCES';
  return (e as NodeJS.ErrnoException)?.code;
}

/** An SQLite or file-system write error in plain words, or the error itself. */
function writeError(dir: string, e: unknown): unknown {
  return unwritable(dir, { code: sqliteCode(e) }) ?? e;
}

/** Vectors wait in the delta as half floats (see half.ts). */
const TO_BLOB = encodeHalf;
const FROM_BLOB = decodeHalf;

/** KINDRED_SNAPSHOT_MIN (tests): snapshot whenever the delta reaches this many vectors, building or idle. */
const SNAPSHOT_OVERRIDE = Number(process.env.KINDRED_SNAPSHOT_MIN) > 0 ? Number(process.env.KINDRED_SNAPSHOT_MIN) : undefined;
/** Snapshot while building: when the delta reaches this many vectors, or half the graph. */
const BUILD_SNAPSHOT_MIN = SNAPSHOT_OVERRIDE ?? 50_000;
/**
 * Databases up to this size are checked (PRAGMA quick_check) when opened; bigger ones in the background.
 * KINDRED_SYNC_CHECK_BYTES overrides it (tests).
 */
function syncCheckBytes(): number {
  const n = Number(process.env.KINDRED_SYNC_CHECK_BYTES);
  return process.env.KINDRED_SYNC_CHECK_BYTES && Number.isFinite(n) ? n : 24 * 1024 * 1024;
}
/** Snapshot when idle or closing: when the delta reaches max(this, 1/500 of the graph). */
const IDLE_SNAPSHOT_MIN = SNAPSHOT_OVERRIDE ?? 256;

/**
 * The index of one folder for one model: SQLite (WAL) is the store of record — files, chunks,
 * the keyword index (FTS5) and the vectors committed since the last HNSW snapshot. Every `save()`
 * commits what changed since the previous one (one transaction); nothing is rewritten whole.
 * The HNSW graph is derived state: kept in memory for queries, snapshotted to disk in the
 * background now and then, and brought up to date on open by replaying the delta.
 *
 * Nothing per chunk lives in the JS heap: `files`, `chunks` and `vectorIds` are views that query
 * SQLite. Opened read-only, a store never writes; `refresh()` picks up another process's commits.
 */
export class IndexStore {
  readonly files: FilesView;
  readonly chunks: ChunksView;
  readonly vectorIds: VectorIdsView;
  readonly lexical: LexicalIndex;
  private graph: VectorGraph;
  private seq = 0;
  private nextId = 1;
  private inTx = false;
  /** Vectors added or deleted since the snapshot (rows of vec_delta + vec_gone). */
  private delta = 0;
  private snap: SnapshotInfo | undefined;
  private snapshotting: Promise<void> | undefined;
  private dataVersion = -1;
  /** This store has changed the index (it holds, or held, the write lock). */
  private wrote = false;
  /**
   * The database check of a big index, run in the background after open: resolves to the problem
   * found (index-corrupt), or undefined. Already settled (undefined) for a small index, checked at open.
   */
  verified: Promise<KindredError | undefined> = Promise.resolve(undefined);
  private stopCheck: () => void = () => undefined;
  /** A big index: the snapshot's checksum is verified by the background check, not when it is loaded. */
  private deferChecks = false;
  /** Set when a commit failed: the in-memory graph may hold rolled-back vectors; reopen before writing. */
  stale = false;
  /** Told about background snapshot failures (set by the engine). */
  onBackgroundError: (e: unknown) => void = () => undefined;
  private readonly st: Record<string, StatementSyncInstance> = {};
  /** The chunks table has the indexed `name` column (see addNameColumn). */
  private named = false;
  /** The index has the `chunk_names` table (see addNamesTable). */
  private namesTable = false;
  /** The chunks table has the `body` column (see addBodyColumn). */
  private bodied = false;
  /** The files table has the `generated` column (see addGeneratedColumn). */
  private marked = false;

  private constructor(
    readonly dir: string,
    readonly folder: string,
    readonly model: ModelKey,
    private readonly db: DatabaseSyncInstance,
    readonly readOnly: boolean,
  ) {
    const prep = (sql: string): StatementSyncInstance => db.prepare(sql);
    const s = this.st;
    const named = hasNameColumn(db) || (!readOnly && addNameColumn(db));
    const bodied = hasBodyColumn(db) || (!readOnly && addBodyColumn(db));
    const marked = hasGeneratedColumn(db) || (!readOnly && addGeneratedColumn(db));
    // The columns of a chunk record and of a file record (an index without the body or generated column reads none).
    const cols = `c.id AS id, f.path, c.start, c.end, c.hash, c.symbol, ${bodied ? 'c.body' : 'NULL AS body'}, ${marked ? 'f.generated' : '0 AS generated'}`;
    const fileCols = `id, path, size, mtime, hash, racy, ${marked ? 'generated' : '0 AS generated'}`;
    s.fileByPath = prep(`SELECT ${fileCols} FROM files WHERE path = ?`);
    s.fileIdByPath = prep('SELECT id FROM files WHERE path = ?');
    s.allFiles = prep(`SELECT ${fileCols} FROM files ORDER BY id`);
    s.countFiles = prep('SELECT count(*) AS n FROM files');
    s.chunkIdsOfFile = prep('SELECT id FROM chunks WHERE file = ? ORDER BY start, id');
    s.chunk = prep(`SELECT ${cols} FROM chunks c JOIN files f ON f.id = c.file WHERE c.id = ?`);
    s.chunksByIds = prep(`SELECT ${cols} FROM chunks c JOIN files f ON f.id = c.file WHERE c.id IN (SELECT value FROM json_each(?))`);
    s.allChunks = prep(`SELECT ${cols} FROM chunks c JOIN files f ON f.id = c.file ORDER BY c.id`);
    // Definitions of a name: the symbol is the name, or ends with it after a `.`, `::` or `#` (Class.method, Mod::f);
    // then the chunks that define it besides their own symbol (chunk_names), when the index has that table.
    const namesTable = hasNamesTable(db) || (!readOnly && addNamesTable(db));
    const own = named
      ? `SELECT ${cols}, 0 AS grouped FROM chunks c JOIN files f ON f.id = c.file WHERE c.name = ?1`
      : `SELECT ${cols}, 0 AS grouped FROM chunks c JOIN files f ON f.id = c.file WHERE c.symbol = ?1 OR c.symbol LIKE '%.' || ?1 OR c.symbol LIKE '%::' || ?1 OR c.symbol LIKE '%#' || ?1`;
    const among = `SELECT ${cols}, 1 AS grouped FROM chunk_names n JOIN chunks c ON c.id = n.chunk JOIN files f ON f.id = c.file WHERE n.name = ?1`;
    s.chunksDefining = prep(`${namesTable ? `${own} UNION ALL ${among}` : own} ORDER BY grouped, id LIMIT ?2`);
    s.chunksOfPath = prep(`SELECT ${cols} FROM chunks c JOIN files f ON f.id = c.file WHERE f.path = ? ORDER BY c.start, c.id`);
    s.countChunks = prep('SELECT count(*) AS n FROM chunks');
    s.hasVec = prep('SELECT vec FROM chunks WHERE id = ?');
    s.vecByHash = prep('SELECT id FROM chunks WHERE hash = ? AND vec = 1 LIMIT 1');
    s.pending = prep('SELECT id FROM chunks WHERE vec = 0 ORDER BY id');
    s.pendingOrder = prep('SELECT c.id, f.path, f.mtime FROM chunks c JOIN files f ON f.id = c.file WHERE c.vec = 0');
    s.countVec = prep('SELECT count(*) AS n FROM chunks WHERE vec = 1');
    s.meta = prep('SELECT value FROM meta WHERE key = ?');
    s.dataVersion = prep('PRAGMA data_version');
    s.deltaSince = prep('SELECT id, vec FROM vec_delta WHERE seq > ? AND seq <= ?');
    s.goneSince = prep('SELECT id FROM vec_gone WHERE seq > ? AND seq <= ?');
    if (!readOnly) {
      s.setMeta = prep('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
      s.upsertFile = marked
        ? prep(
            'INSERT INTO files(path, size, mtime, hash, racy, generated) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash, racy = excluded.racy, generated = excluded.generated RETURNING id',
          )
        : prep(
            'INSERT INTO files(path, size, mtime, hash, racy) VALUES (?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash, racy = excluded.racy RETURNING id',
          );
      s.touchFile = prep('UPDATE files SET size = ?, mtime = ?, racy = ? WHERE id = ?');
      s.deleteFile = prep('DELETE FROM files WHERE id = ?');
      s.chunksOfFile = prep(`SELECT id, start, end, hash, symbol, vec, ${bodied ? 'body' : 'NULL AS body'} FROM chunks WHERE file = ?`);
      // Without the name or body column (its migration failed) chunks are written without it.
      const extra = [...(named ? ['name'] : []), ...(bodied ? ['body'] : [])];
      s.insertChunk = prep(`INSERT INTO chunks(id, file, start, end, hash, symbol${extra.map((c) => `, ${c}`).join('')}) VALUES (?, ?, ?, ?, ?, ?${', ?'.repeat(extra.length)})`);
      s.moveChunk = prep(`UPDATE chunks SET start = ?, end = ?, symbol = ?${extra.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`);
      this.named = named;
      this.bodied = bodied;
      this.marked = marked;
      this.namesTable = namesTable;
      if (namesTable) {
        s.insertName = prep('INSERT OR IGNORE INTO chunk_names(name, chunk) VALUES (?, ?)');
        s.deleteNames = prep('DELETE FROM chunk_names WHERE chunk = ?');
      }
      s.deleteChunk = prep('DELETE FROM chunks WHERE id = ?');
      s.markVec = prep('UPDATE chunks SET vec = 1 WHERE id = ?');
      s.insertDelta = prep('INSERT OR REPLACE INTO vec_delta(id, seq, vec) VALUES (?, ?, ?)');
      s.deleteDelta = prep('DELETE FROM vec_delta WHERE id = ?');
      s.insertGone = prep('INSERT OR REPLACE INTO vec_gone(id, seq) VALUES (?, ?)');
      s.pruneDelta = prep('DELETE FROM vec_delta WHERE seq <= ?');
      s.pruneGone = prep('DELETE FROM vec_gone WHERE seq <= ?');
      s.stagedAfter = prep('SELECT EXISTS(SELECT 1 FROM vec_delta WHERE seq > ?) OR EXISTS(SELECT 1 FROM vec_gone WHERE seq > ?) AS later');
      s.clearDelta = prep('DELETE FROM vec_delta');
      s.clearGone = prep('DELETE FROM vec_gone');
    }
    this.files = new FilesView(this.st);
    this.chunks = new ChunksView(this.st);
    this.vectorIds = new VectorIdsView(this.st, () => this.graph.live);
    this.lexical = new LexicalIndex(db, () => this.begin(), readOnly);
    this.graph = new VectorGraph(model.dims, 1024);
  }

  get generationNumber(): number {
    return this.seq;
  }

  /** Changes not committed yet. */
  get dirty(): boolean {
    return this.inTx;
  }

  private static connect(dir: string, readOnly: boolean): DatabaseSyncInstance {
    const db = new DatabaseSync(path.join(dir, DB_FILE), { readOnly, timeout: 5000 });
    if (!readOnly) {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      // A big transaction (a first build's checkpoint) stays in the page cache until COMMIT instead of
      // spilling pages into the WAL and rewriting them there: less written. Used only as pages are dirtied.
      db.exec('PRAGMA cache_size = -65536');
      // Statement journals (multi-row statements inside a transaction: FTS5 segment merges) stay in memory.
      db.exec('PRAGMA temp_store = MEMORY');
    }
    return db;
  }

  /** A new, empty index in `dir` (the index's own files there are replaced; nothing else is touched). */
  static create(dir: string, folder: string, model: ModelKey): IndexStore {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) if (isOwnFile(name)) rmSync(path.join(dir, name), { force: true });
    const db = IndexStore.connect(dir, false);
    // Pages freed when a snapshot prunes the vector delta are given back to the file system (see snapshot()).
    db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
    db.exec('BEGIN IMMEDIATE');
    db.exec(SCHEMA);
    db.exec(NAME_INDEX);
    db.exec(NAMES_SCHEMA);
    db.exec(FTS_SCHEMA);
    const set = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
    set.run('format', String(FORMAT_VERSION));
    set.run('model', JSON.stringify(model));
    set.run('folder', folder);
    set.run('seq', '0');
    set.run('nextId', '1');
    db.exec('COMMIT');
    const store = new IndexStore(dir, folder, model, db, false);
    store.dataVersion = store.readDataVersion();
    return store;
  }

  /** An empty index in memory that is never written (a reader's view of an index that is not there yet). */
  static memory(folder: string, model: ModelKey): IndexStore {
    const db = new DatabaseSync(':memory:');
    db.exec(SCHEMA);
    db.exec(NAME_INDEX);
    db.exec(NAMES_SCHEMA);
    db.exec(FTS_SCHEMA);
    db.exec(`INSERT INTO meta(key, value) VALUES ('seq', '0'), ('nextId', '1')`);
    return new IndexStore('', folder, model, db, true);
  }

  /** What the index in `dir` says about itself, without loading anything; undefined if there is none. */
  static async peek(dir: string): Promise<{ model: ModelKey; format: number; generation: number } | undefined> {
    if (!existsSync(path.join(dir, DB_FILE))) return undefined;
    let db: DatabaseSyncInstance | undefined;
    try {
      db = new DatabaseSync(path.join(dir, DB_FILE), { readOnly: true, timeout: 5000 });
      const get = (k: string): string | undefined => (db!.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: string } | undefined)?.value;
      return { model: JSON.parse(get('model')!) as ModelKey, format: Number(get('format')), generation: Number(get('seq')) };
    } catch {
      return undefined;
    } finally {
      db?.close();
    }
  }

  /**
   * Opens the index in `dir`. Throws KindredError 'index-missing' when there is none and
   * 'index-corrupt' when the database fails its check, the snapshot is damaged, or they disagree.
   * `readOnly`: never writes anything (another process may be the writer); see refresh().
   */
  static async open(dir: string, opts: { readOnly?: boolean } = {}): Promise<IndexStore> {
    const readOnly = opts.readOnly ?? false;
    if (!existsSync(path.join(dir, DB_FILE))) throw new KindredError('index-missing', `No index in ${dir}.`);
    let db: DatabaseSyncInstance;
    try {
      db = IndexStore.connect(dir, readOnly);
    } catch (e) {
      if (!readOnly) {
        const plain = unwritable(dir, { code: sqliteCode(e) });
        if (plain) throw plain;
      }
      throw new KindredError('index-corrupt', `The index database in ${dir} cannot be opened (${(e as Error).message}).`);
    }
    try {
      // A small database is checked now; a big one in a worker thread (see `verified`), so opening
      // does not wait for a read of every page.
      const dbBytes = statSync(path.join(dir, DB_FILE)).size + (statSync(path.join(dir, `${DB_FILE}-wal`), { throwIfNoEntry: false })?.size ?? 0);
      let background: BackgroundCheck | undefined;
      if (dbBytes <= syncCheckBytes()) {
        let check: string;
        try {
          check = String((db.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check);
        } catch (e) {
          check = (e as Error).message;
        }
        if (check !== 'ok') throw new KindredError('index-corrupt', `The index database in ${dir} is damaged (${check.split('\n')[0]}).`);
      } else {
        let snapshot: { file: string; checksum: string } | undefined;
        try {
          const info = JSON.parse((db.prepare(`SELECT value FROM meta WHERE key = 'snapshot'`).get() as { value: string } | undefined)?.value ?? 'null') as SnapshotInfo | null;
          if (info) snapshot = { file: path.join(dir, info.name), checksum: info.checksum };
        } catch {
          // read again (and reported) by loadGraph
        }
        background = quickCheckInBackground(path.join(dir, DB_FILE), snapshot);
      }
      const get = (k: string): string | undefined => (db.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: string } | undefined)?.value;
      let format: number;
      let model: ModelKey;
      let folder: string;
      try {
        format = Number(get('format'));
        model = JSON.parse(get('model') ?? 'null') as ModelKey;
        folder = get('folder') ?? '';
      } catch (e) {
        throw new KindredError('index-corrupt', `The index in ${dir} could not be read: ${(e as Error).message}.`);
      }
      if (format !== FORMAT_VERSION || !model) {
        throw new KindredError('index-corrupt', `The index in ${dir} has format ${format || 'unknown'}; this version reads format ${FORMAT_VERSION}.`);
      }
      const store = new IndexStore(dir, folder, model, db, readOnly);
      store.deferChecks = !!background;
      if (background) {
        store.stopCheck = background.stop;
        store.verified = background.result.then((check) =>
          check.startsWith('ok') ? undefined : new KindredError('index-corrupt', `The index database in ${dir} is damaged (${check.split('\n')[0]}).`),
        );
      }
      store.loadGraph();
      const problem = store.quickConsistency();
      if (problem) throw new KindredError('index-corrupt', `The index in ${dir} is inconsistent: ${problem}.`);
      return store;
    } catch (e) {
      db.close();
      if (e instanceof KindredError) throw e;
      throw new KindredError('index-corrupt', `The index in ${dir} could not be read: ${(e as Error).message}`);
    }
  }

  private readDataVersion(): number {
    return Number((this.st.dataVersion.get() as { data_version: number }).data_version);
  }

  private metaValue(key: string): string | undefined {
    return (this.st.meta.get(key) as { value: string } | undefined)?.value;
  }

  /** (Re)loads the graph: the snapshot named in meta, then the delta after it. In one read transaction. */
  private loadGraph(): void {
    const ownTx = !this.inTx;
    if (ownTx) this.db.exec('BEGIN');
    try {
      this.dataVersion = this.readDataVersion();
      this.seq = Number(this.metaValue('seq') ?? 0);
      this.nextId = Number(this.metaValue('nextId') ?? 1);
      const snapRaw = this.metaValue('snapshot');
      this.snap = snapRaw ? (JSON.parse(snapRaw) as SnapshotInfo) : undefined;
      const chunks = Number((this.st.countChunks.get() as { n: number }).n);
      // Room for every chunk's vector; a loaded snapshot already sized for that is not resized (a copy of the graph).
      const capacity = chunks + 1024;
      if (this.snap) {
        try {
          this.graph = VectorGraph.load(this.dir, this.snap, this.model.dims, capacity, !this.deferChecks);
        } catch (e) {
          throw new KindredError('index-corrupt', `The vector snapshot of the index in ${this.dir} is unusable: ${(e as Error).message}.`);
        }
      } else this.graph = new VectorGraph(this.model.dims, capacity);
      const from = this.snap?.seq ?? 0;
      for (const r of this.st.goneSince.iterate(from, this.seq) as Iterable<{ id: number }>) this.graph.delete(r.id);
      this.delta = 0;
      for (const r of this.st.deltaSince.iterate(from, this.seq) as Iterable<{ id: number; vec: Uint8Array }>) {
        if (!this.graph.has(r.id)) this.graph.add(r.id, FROM_BLOB(r.vec));
        this.delta++;
        failpoint('replay');
      }
      this.graph.live = Number((this.st.countVec.get() as { n: number }).n);
    } finally {
      if (ownTx) this.db.exec('COMMIT');
    }
  }

  /** Cheap checks run on every open (the full one is checkIntegrity). */
  private quickConsistency(): string | undefined {
    const labels = this.graph.labels().length;
    if (labels < this.graph.live) return `${this.graph.live} chunks have vectors but the graph holds ${labels}`;
    const fts = this.lexical.size;
    const chunks = this.chunks.size;
    if (fts !== chunks) return `the keyword index has ${fts} documents for ${chunks} chunks`;
    const maxId = Number((this.db.prepare('SELECT coalesce(max(id), 0) AS m FROM chunks').get() as { m: number }).m);
    if (maxId >= this.nextId) return `chunk id ${maxId} is beyond the id counter`;
    return undefined;
  }

  /** Removes snapshot files and temp files not named in meta (left by a crash). Only under the write lock. */
  removeOrphans(): void {
    if (this.readOnly) return;
    for (const name of readdirSync(this.dir)) {
      if (/^vectors\.\d+\.hnsw(\.\d+\.tmp)?$/.test(name) && name !== this.snap?.name) rmSync(path.join(this.dir, name), { force: true });
    }
  }

  /**
   * Picks up commits made by another connection (another process, or the previous lock holder):
   * cheap when nothing changed (one PRAGMA). New vectors and deletions are applied to the graph;
   * a newer snapshot than this store has seen is loaded. Returns whether anything changed.
   */
  refresh(): boolean {
    if (this.inTx) return false;
    const v = this.readDataVersion();
    if (v === this.dataVersion) return false;
    this.lexical.invalidate();
    this.db.exec('BEGIN');
    try {
      this.dataVersion = v;
      const seq = Number(this.metaValue('seq') ?? 0);
      const snapRaw = this.metaValue('snapshot');
      const snap = snapRaw ? (JSON.parse(snapRaw) as SnapshotInfo) : undefined;
      if (snap && snap.seq > this.seq) {
        // The rows between our state and that snapshot were pruned: start again from the snapshot.
        this.db.exec('COMMIT');
        this.loadGraph();
        return true;
      }
      for (const r of this.st.goneSince.iterate(this.seq, seq) as Iterable<{ id: number }>) this.graph.delete(r.id);
      for (const r of this.st.deltaSince.iterate(this.seq, seq) as Iterable<{ id: number; vec: Uint8Array }>) {
        if (!this.graph.has(r.id)) this.graph.add(r.id, FROM_BLOB(r.vec));
      }
      this.graph.live = Number((this.st.countVec.get() as { n: number }).n);
      this.seq = seq;
      this.nextId = Number(this.metaValue('nextId') ?? this.nextId);
      this.snap = snap;
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
    return true;
  }

  /** Returns a description of the first inconsistency between chunks, vectors and the keyword index, or undefined. */
  checkIntegrity(): string | undefined {
    const check = String((this.db.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check);
    if (check !== 'ok') return `database check: ${check}`;
    const orphan = this.db.prepare('SELECT id FROM chunks WHERE file NOT IN (SELECT id FROM files) LIMIT 1').get() as { id: number } | undefined;
    if (orphan) return `chunk ${orphan.id} belongs to no file`;
    const unindexed = this.db.prepare('SELECT id FROM chunks WHERE id NOT IN (SELECT rowid FROM fts) LIMIT 1').get() as { id: number } | undefined;
    if (unindexed) return `chunk ${unindexed.id} is missing from the lexical index`;
    if (this.lexical.size !== this.chunks.size) return `lexical index has ${this.lexical.size} documents for ${this.chunks.size} chunks`;
    const problem = this.quickConsistency();
    if (problem) return problem;
    let n = 0;
    for (const r of this.db.prepare('SELECT id FROM chunks WHERE vec = 1').iterate() as Iterable<{ id: number }>) {
      n++;
      if (!this.graph.has(r.id)) return `chunk ${r.id} has no vector in the graph`;
    }
    if (n !== this.graph.live) return `${n} chunks have vectors, the graph counts ${this.graph.live}`;
    return undefined;
  }

  // ---- reads ----

  /** One chunk's record, or undefined. */
  chunk(id: number): ChunkRecord | undefined {
    return this.chunks.get(id);
  }

  /** Records of many chunks in one query (missing ids are left out). */
  chunksByIds(ids: readonly number[]): Map<number, ChunkRecord> {
    return this.chunks.getMany(ids);
  }

  /**
   * Chunks whose symbol names `name` (the whole symbol, or its last part after `.`, `::` or `#`), in id order, then
   * the chunks that define `name` besides their own symbol (`grouped`: see chunk_names); at most `limit`. An index look-up
   * (a scan of the chunks table in an index without the name column; LIKE's `_` and `%` then match loosely, so
   * callers re-check): the ranking stack calls it once per symbol a query names.
   */
  chunksDefining(name: string, limit: number): DefinitionRecord[] {
    return (this.st.chunksDefining.all(name, limit) as (ChunkRow & { grouped: number })[]).map((r) => (r.grouped ? { ...toRecord(r), grouped: true } : toRecord(r)));
  }

  /** One file's chunks in line order. */
  chunksOfPath(path: string): ChunkRecord[] {
    return (this.st.chunksOfPath.all(path) as ChunkRow[]).map(toRecord);
  }

  /** A stored vector for a chunk text hash, if any chunk with that text has been embedded. */
  vectorForHash(hash: string): Float32Array | undefined {
    const row = this.st.vecByHash.get(hash) as { id: number } | undefined;
    return row ? this.graph.get(row.id) : undefined;
  }

  /** The chunk's vector, from the graph (which holds exactly the chunks with a vector: a deleted one is not found). */
  vectorOf(id: number): Float32Array | undefined {
    return this.graph.get(id);
  }

  /** Chunks that still need an embedding. */
  pendingIds(): number[] {
    return (this.st.pending.all() as { id: number }[]).map((r) => r.id);
  }

  /** Pending chunk ids in embedding order: files in `priority` first, then newest files first. */
  pendingOrder(priority?: ReadonlySet<string>): number[] {
    const rows = this.st.pendingOrder.all() as { id: number; path: string; mtime: number }[];
    const key = (r: { path: string; mtime: number }): number => (priority?.has(r.path) ? 1e15 : 0) + r.mtime;
    rows.sort((a, b) => key(b) - key(a) || a.id - b.id);
    return rows.map((r) => r.id);
  }

  /** Nearest chunks by inner product (vectors are normalized, so this is cosine similarity). */
  nearest(query: Float32Array, k: number, filter?: (id: number) => boolean): { id: number; score: number }[] {
    return this.graph.nearest(query, k, filter);
  }

  // ---- writes (the lock holder only) ----

  private begin(): void {
    if (this.readOnly) throw new KindredError('index-locked', `The index in ${this.dir} is open read-only.`);
    if (this.inTx) return;
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      throw writeError(this.dir, e);
    }
    this.inTx = true;
    this.wrote = true;
  }

  /** Room for `n` vectors in the graph (a build calls this once instead of growing step by step). */
  reserve(n: number): void {
    this.graph.reserve(Math.ceil(n * 1.05) + 1024);
  }

  private dropChunk(id: number, hadVector: boolean): void {
    this.st.deleteChunk.run(id);
    if (this.namesTable) this.st.deleteNames.run(id);
    if (hadVector) {
      this.st.deleteDelta.run(id);
      this.st.insertGone.run(id, this.seq + 1);
      this.graph.delete(id);
      this.delta++;
    }
  }

  /**
   * Replaces a file's chunks (or removes the file when `chunks` is undefined). Chunks whose text is
   * unchanged keep their id (and vector); only changed chunks are inserted. Returns the records.
   */
  setFile(file: Omit<FileRecord, 'chunks'>, chunks: NewChunk[] | undefined): ChunkRecord[] {
    if (!chunks) {
      this.removeFile(file.path);
      return [];
    }
    this.begin();
    const { id: fileId } = this.st.upsertFile.get(file.path, file.size, file.mtimeMs, file.hash, file.racy ? 1 : 0, ...(this.marked ? [file.generated ? 1 : 0] : [])) as { id: number };
    const old = this.st.chunksOfFile.all(fileId) as { id: number; start: number; end: number; hash: string; symbol: string | null; vec: number; body: string | null }[];
    const byHash = new Map<string, typeof old>();
    for (const o of old) {
      const list = byHash.get(o.hash);
      if (list) list.push(o);
      else byHash.set(o.hash, [o]);
    }
    const records: ChunkRecord[] = [];
    const added: { id: number; text: string; path: string; symbol: string }[] = [];
    for (const c of chunks) {
      const list = byHash.get(c.hash);
      // The same text at the same place first, else the same text moved.
      const i = list ? Math.max(0, list.findIndex((o) => o.start === c.startLine)) : -1;
      const kept = list && list.length ? list.splice(i, 1)[0] : undefined;
      let id: number;
      if (kept) {
        id = kept.id;
        if ((kept.symbol ?? '') !== (c.symbol ?? '')) {
          this.lexical.remove([id]);
          added.push({ id, text: c.text, path: file.path, symbol: c.symbol ?? '' });
        }
        // A chunk kept from an index written before bodies gets its body here (its file is chunked again: schema.ts).
        if (kept.start !== c.startLine || kept.end !== c.endLine || (kept.symbol ?? '') !== (c.symbol ?? '') || (this.bodied && (kept.body ?? undefined) !== c.body)) this.st.moveChunk.run(c.startLine, c.endLine, c.symbol ?? null, ...this.extraColumns(c), id);
        if (this.namesTable) this.st.deleteNames.run(id);
      } else {
        id = this.nextId++;
        this.st.insertChunk.run(id, fileId, c.startLine, c.endLine, c.hash, c.symbol ?? null, ...this.extraColumns(c));
        added.push({ id, text: c.text, path: file.path, symbol: c.symbol ?? '' });
      }
      if (this.namesTable) for (const name of c.names ?? []) this.st.insertName.run(name, id);
      records.push({ id, path: file.path, startLine: c.startLine, endLine: c.endLine, hash: c.hash, ...(c.symbol ? { symbol: c.symbol } : {}), ...(this.bodied && c.body ? { body: c.body } : {}), ...(this.marked && file.generated ? { generated: true } : {}) });
    }
    const gone = [...byHash.values()].flat();
    if (gone.length) this.lexical.remove(gone.map((o) => o.id));
    for (const o of gone) this.dropChunk(o.id, o.vec === 1);
    this.lexical.add(added);
    return records;
  }

  /** The values of the optional chunk columns this index has (name, body), in insertChunk's and moveChunk's order. */
  private extraColumns(c: NewChunk): (string | null)[] {
    return [...(this.named ? [nameOf(c.symbol)] : []), ...(this.bodied ? [c.body ?? null] : [])];
  }

  /** Updates size/mtime of a file whose content is unchanged. */
  touchFile(p: string, size: number, mtimeMs: number, racy = false): void {
    const f = this.files.get(p);
    if (f && (f.size !== size || f.mtimeMs !== mtimeMs || !!f.racy !== racy)) {
      this.begin();
      this.st.touchFile.run(size, mtimeMs, racy ? 1 : 0, (this.st.fileIdByPath.get(p) as { id: number }).id);
    }
  }

  removeFile(p: string): void {
    const row = this.st.fileIdByPath.get(p) as { id: number } | undefined;
    if (!row) return;
    this.begin();
    const old = this.st.chunksOfFile.all(row.id) as { id: number; vec: number }[];
    this.lexical.remove(old.map((o) => o.id));
    for (const o of old) this.dropChunk(o.id, o.vec === 1);
    this.st.deleteFile.run(row.id);
  }

  /** Stores a chunk's vector (normalized). Ignored if the chunk is gone meanwhile or has one. */
  addVector(id: number, vector: Float32Array): void {
    const row = this.st.hasVec.get(id) as { vec: number } | undefined;
    if (!row || row.vec === 1) return;
    this.begin();
    this.st.markVec.run(id);
    const blob = TO_BLOB(vector);
    this.st.insertDelta.run(id, this.seq + 1, blob);
    // The graph holds what the store of record holds (half floats), so a reader replaying the delta searches the
    // same values as this writer: the editor and an agent reading the same index rank alike.
    this.graph.add(id, FROM_BLOB(blob));
    this.delta++;
  }

  /** Commits what changed since the last save (one SQLite transaction); starts a snapshot if the delta is large. */
  async save(): Promise<void> {
    this.commit();
    if (this.delta >= (SNAPSHOT_OVERRIDE ?? Math.max(BUILD_SNAPSHOT_MIN, this.graph.live / 2))) this.snapshotInBackground();
  }

  private commit(): void {
    if (!this.inTx) return;
    try {
      this.st.setMeta.run('seq', String(this.seq + 1));
      this.st.setMeta.run('nextId', String(this.nextId));
      failpoint('commit');
      this.db.exec('COMMIT');
    } catch (e) {
      try {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
      } catch {
        // the connection rolled back by itself
      }
      this.inTx = false;
      // The graph and the id counter may hold what was rolled back: this store must be reopened.
      this.stale = true;
      try {
        // Give back the space the rolled-back transaction took in the WAL (a full disk).
        this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } catch {
        // another connection is reading: the WAL is reset later
      }
      throw writeError(this.dir, e);
    }
    this.inTx = false;
    this.seq++;
    this.dataVersion = this.readDataVersion();
    failpoint('committed');
  }

  private snapshotInBackground(): void {
    if (this.snapshotting) return;
    this.snapshot().catch((e) => this.onBackgroundError(e));
  }

  /**
   * Deletes the staged vectors and deletions up to `seq`. When nothing was staged after it (no commit
   * came in while the snapshot was written: the end of a build, an idle snapshot), the tables are
   * cleared whole, which SQLite does by freeing their pages instead of rewriting each one as its rows
   * go (at 100k chunks, 43–75 MB less written per snapshot).
   */
  private pruneStaged(seq: number): { pruned: number; whole: boolean } {
    const { later } = this.st.stagedAfter.get(seq, seq) as { later: number };
    if (!later) return { pruned: Number(this.st.clearDelta.run().changes) + Number(this.st.clearGone.run().changes), whole: true };
    return { pruned: Number(this.st.pruneDelta.run(seq).changes) + Number(this.st.pruneGone.run(seq).changes), whole: false };
  }

  /** The snapshot being written, if any (the write lock must be held until it settles). */
  get snapshotInFlight(): Promise<void> | undefined {
    return this.snapshotting;
  }

  /** Whether an idle moment should write a snapshot (the delta would slow the next open). Only for the writer. */
  get snapshotDue(): boolean {
    return !this.readOnly && this.wrote && !this.stale && this.delta >= (SNAPSHOT_OVERRIDE ?? Math.max(IDLE_SNAPSHOT_MIN, this.graph.live / 500));
  }

  /**
   * Writes the graph as a snapshot of the current commit (atomically: temp file + rename, on a
   * libuv thread), records it, and prunes the delta it contains. Queries keep running meanwhile.
   */
  snapshot(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    // One at a time: after the one being written, another if vectors came in meanwhile.
    if (this.snapshotting) return this.snapshotting.catch(() => undefined).then(() => this.snapshot());
    if (this.delta === 0 && !this.inTx && this.snap) return Promise.resolve();
    const run = async (): Promise<void> => {
      this.commit();
      const seq = this.seq;
      const name = `vectors.${seq}.hnsw`;
      const previous = this.snap;
      let written: { bytes: number; checksum: string };
      try {
        written = await this.graph.write(this.dir, name);
      } catch (e) {
        await fs.rm(path.join(this.dir, `${name}.${process.pid}.tmp`), { force: true }).catch(() => undefined);
        throw writeError(this.dir, e);
      }
      const info: SnapshotInfo = { name, seq, ...written };
      this.commit(); // what the indexer did meanwhile (its own commit)
      this.begin();
      this.st.setMeta.run('snapshot', JSON.stringify(info));
      this.commit();
      // The delta up to `seq` is in the snapshot now. Pruned by statements of their own (autocommit:
      // no statement journal, which would copy every page they touch into a temp file); a crash
      // before this only leaves rows the next open skips (seq <= the snapshot's) and the next snapshot prunes.
      const { pruned, whole } = this.pruneStaged(seq);
      // Give the freed pages back (moving the pages after them), so the file holds the index, not the
      // vectors it once staged. Only when the delta was cleared whole: with newer rows staged, their
      // pages would be the ones moved (rewritten), and the next commits reuse the free pages anyway.
      if (pruned > 0 && whole) this.db.exec('PRAGMA incremental_vacuum');
      this.dataVersion = this.readDataVersion();
      this.snap = info;
      this.delta = Math.max(0, this.delta - pruned);
      if (previous && previous.name !== name) await fs.rm(path.join(this.dir, previous.name), { force: true }).catch(() => undefined);
    };
    this.snapshotting = run().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /**
   * Waits for a background snapshot, commits what is pending and closes the database. A snapshot
   * due at close is the engine's to write (under the write lock) before calling this.
   */
  async close(): Promise<void> {
    this.stopCheck();
    try {
      await this.snapshotting?.catch(() => undefined);
      if (!this.readOnly && !this.stale && this.wrote) {
        this.commit();
        // Moves the WAL into the database file (readers still open keep working).
        try {
          this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
        } catch {
          // a reader holds an old snapshot: the next writer checkpoints
        }
      }
    } finally {
      if (this.inTx) {
        try {
          this.db.exec('ROLLBACK');
        } catch {
          // closing anyway
        }
      }
      if (this.db.isOpen) this.db.close();
    }
  }

  /** Bytes on disk of this index (database, WAL, snapshot). */
  async diskBytes(): Promise<number> {
    let total = 0;
    for (const name of await fs.readdir(this.dir).catch(() => [] as string[])) {
      if (!isOwnFile(name)) continue;
      total += (await fs.stat(path.join(this.dir, name)).catch(() => ({ size: 0 }))).size;
    }
    return total;
  }
}

