import * as path from 'node:path';
import { discoverFiles } from '../../src/core/discovery';
import type { IndexStore } from '../../src/core/index/store';
import { fileHashOf } from '../../src/core/indexer';
import { readTextFile } from '../../src/core/text';

// A small seeded PRNG (mulberry32), so a failing random run can be replayed.
export { seededRandom } from '../../src/core/cluster/vecmath';

/** What an index of `folder` must hold: every indexable file's path and text hash. */
export async function groundTruth(folder: string, maxFileBytes = 1 << 20): Promise<Map<string, string>> {
  const { files } = await discoverFiles(folder, { maxFileBytes });
  const out = new Map<string, string>();
  for (const f of files) {
    const r = await readTextFile(path.join(folder, f.rel), maxFileBytes);
    if (r.ok) out.set(f.rel, fileHashOf(r.text));
  }
  return out;
}

/** Differences between an index and the ground truth (empty lists: they match). */
export function diffIndex(store: IndexStore, truth: Map<string, string>): { missing: string[]; extra: string[]; stale: string[] } {
  const indexed = new Map([...store.files.values()].map((f) => [f.path, f.hash]));
  return {
    missing: [...truth.keys()].filter((p) => !indexed.has(p)),
    extra: [...indexed.keys()].filter((p) => !truth.has(p)),
    stale: [...truth].filter(([p, h]) => indexed.has(p) && indexed.get(p) !== h).map(([p]) => p),
  };
}

