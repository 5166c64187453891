/** The indexes under a folder's index root, for `kindred indexes` and deleting one. */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { DB_FILE, isFormat1File, isOwnFile } from './layout';
import type { ModelKey } from './records';
import { IndexStore } from './store';

/** An index directory on disk: which model it is for and its size (for `kindred stats` / deleting one). */
export interface IndexOnDisk {
  dir: string;
  name: string;
  model?: ModelKey;
  format: number;
  bytes: number;
}

/** The indexes under a folder's index root (one per model + precision; a format-1 index at the root is listed too). */
export async function listIndexes(root: string): Promise<IndexOnDisk[]> {
  const out: IndexOnDisk[] = [];
  const sizeOf = async (dir: string, own: (n: string) => boolean): Promise<number> => {
    let total = 0;
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) if (own(name)) total += (await fs.stat(path.join(dir, name)).catch(() => ({ size: 0 }))).size;
    return total;
  };
  if (existsSync(path.join(root, 'manifest.json'))) out.push({ dir: root, name: '(format 1)', format: 1, bytes: await sizeOf(root, isFormat1File) });
  for (const ent of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!ent.isDirectory()) continue;
    const dir = path.join(root, ent.name);
    if (!existsSync(path.join(dir, DB_FILE))) continue;
    const peek = await IndexStore.peek(dir);
    out.push({ dir, name: ent.name, model: peek?.model, format: peek?.format ?? 0, bytes: await sizeOf(dir, isOwnFile) });
  }
  return out;
}
