/** An index directory's files: which are the store's own, the format-1 files, and the folder per model. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Bumped whenever the on-disk layout changes. Format 1 was JSON files + MiniSearch + a whole HNSW
 * file per save (manifest.json); format 2 is SQLite (WAL) + FTS5 + an HNSW snapshot with a delta.
 */
export const FORMAT_VERSION = 2;

/** The database file of an index directory. */
export const DB_FILE = 'index.db';

/** Names the store writes in its directory (everything else there is left alone). */
export function isOwnFile(name: string): boolean {
  return (
    name === DB_FILE ||
    name === `${DB_FILE}-wal` ||
    name === `${DB_FILE}-shm` ||
    name === `${DB_FILE}-journal` ||
    /^vectors\.\d+\.hnsw(\.\d+\.tmp)?$/.test(name)
  );
}

/** Names of a format-1 index (JSON + MiniSearch + HNSW generations). */
export function isFormat1File(name: string): boolean {
  return name === 'manifest.json' || /^(vectors|meta|lexical)\.\d+\.(hnsw|json)$/.test(name) || /^manifest\.json\.\d+\.tmp$/.test(name);
}

/** Removes an index's own files (for a rebuild after corruption); leaves anything else alone. */
export async function clearIndexDir(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (isOwnFile(name) || isFormat1File(name)) await fs.rm(path.join(dir, name), { force: true });
  }
}

/** Directory name of a model's index under a folder's index root. */
export function modelDirName(model: { id: string; dtype: string }): string {
  return `${model.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.${model.dtype}`;
}
