/** The SQLite schema of an index (format 2) and its in-place migrations (`chunks.name`, `chunk_names`, `chunks.body`, `files.generated`). */
import type { DatabaseSyncInstance } from '@photostructure/sqlite';
import { lastName } from './tokenize';

/**
 * `chunks.name`: the last name of the chunk's symbol (`handle` for `Router.handle`), indexed, so the definitions of
 * a name are an index look-up instead of a scan. Indexes written before it had the column get it when a writer opens
 * them (see addNameColumn); a reader of such an index scans the symbols instead.
 */
export const NAME_INDEX = 'CREATE INDEX IF NOT EXISTS chunks_name ON chunks(name) WHERE name IS NOT NULL';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, size INTEGER NOT NULL, mtime REAL NOT NULL, hash TEXT NOT NULL, racy INTEGER NOT NULL DEFAULT 0, generated INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, file INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, hash TEXT NOT NULL, symbol TEXT, vec INTEGER NOT NULL DEFAULT 0, name TEXT, body TEXT);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(hash);
CREATE INDEX IF NOT EXISTS chunks_pending ON chunks(id) WHERE vec = 0;
CREATE TABLE IF NOT EXISTS vec_delta(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, vec BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS vec_delta_seq ON vec_delta(seq);
CREATE TABLE IF NOT EXISTS vec_gone(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
`;

/**
 * `chunk_names`: the names a chunk defines besides the one its symbol names (small functions grouped into one chunk,
 * the constants, fields and macros of a file or class), so that a search for one of them finds its chunk. Indexes written before it get the table, empty, when a
 * writer opens them (addNamesTable); the chunking version that brought it has every file chunked again, which fills it.
 */
export const NAMES_SCHEMA = `
CREATE TABLE IF NOT EXISTS chunk_names(name TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY(name, chunk)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunk_names_chunk ON chunk_names(chunk);
`;

export function hasNamesTable(db: DatabaseSyncInstance): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chunk_names'`).get() !== undefined;
}

/** Gives an index written before `chunk_names` existed the table; false when that fails (the index is used without it). */
export function addNamesTable(db: DatabaseSyncInstance): boolean {
  try {
    db.exec(NAMES_SCHEMA);
    return true;
  } catch {
    return false;
  }
}

/** The indexed name of a chunk's symbol: its last name (`handle` for `Router.handle`). */
export function nameOf(symbol: string | undefined): string | null {
  return symbol ? lastName(symbol) : null;
}

export function hasNameColumn(db: DatabaseSyncInstance): boolean {
  return hasColumn(db, 'chunks', 'name');
}

/**
 * Gives an index written before `chunks.name` existed the column, filled, and its index (one transaction). False
 * when that fails (a full disk, say): the index is then used as it is, definitions found by scanning, never rebuilt.
 */
export function addNameColumn(db: DatabaseSyncInstance): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch {
    return false;
  }
  try {
    if (!hasNameColumn(db)) {
      db.exec('ALTER TABLE chunks ADD COLUMN name TEXT');
      const set = db.prepare('UPDATE chunks SET name = ? WHERE id = ?');
      for (const r of db.prepare('SELECT id, symbol FROM chunks WHERE symbol IS NOT NULL').all() as { id: number; symbol: string }[]) set.run(lastName(r.symbol), r.id);
    }
    db.exec(NAME_INDEX);
    db.exec('COMMIT');
    return true;
  } catch {
    try {
      db.exec('ROLLBACK');
    } catch {
      // already rolled back by SQLite
    }
    return false;
  }
}

/**
 * `chunks.body`: the hash of the chunk's own text, without the header its embedding has (`hash` covers the path, so
 * the same code in two files has two hashes). Equal bodies are the same code in different places: search shows one and
 * lists the others (ranking/stack.ts). An index written before it gets the column, empty, when a writer opens it; the
 * chunking version that brought it has every file chunked again, which fills it. Until then a chunk without a body
 * is compared by its hash, as before.
 */
export function hasBodyColumn(db: DatabaseSyncInstance): boolean {
  return hasColumn(db, 'chunks', 'body');
}

/** Gives an index written before `chunks.body` existed the column; false when that fails (the index is used without it). */
export function addBodyColumn(db: DatabaseSyncInstance): boolean {
  return addColumn(db, 'chunks', 'body', 'TEXT');
}

/**
 * `files.generated`: the file's header says a tool generated it (ranking/generated.ts); search lowers such files unless
 * the query asks for generated code. An index written before it gets the column, all 0, when a writer opens it; the
 * chunking version that brought it has every file read again, which fills it.
 */
export function hasGeneratedColumn(db: DatabaseSyncInstance): boolean {
  return hasColumn(db, 'files', 'generated');
}

/** Gives an index written before `files.generated` existed the column; false when that fails (the index is used without it). */
export function addGeneratedColumn(db: DatabaseSyncInstance): boolean {
  return addColumn(db, 'files', 'generated', 'INTEGER NOT NULL DEFAULT 0');
}

function hasColumn(db: DatabaseSyncInstance, table: 'chunks' | 'files', column: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
}

/** Adds a column (true), or finds it already there (a writer racing this one); false when neither. */
function addColumn(db: DatabaseSyncInstance, table: 'chunks' | 'files', column: string, type: string): boolean {
  try {
    db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
    return true;
  } catch {
    return hasColumn(db, table, column);
  }
}
