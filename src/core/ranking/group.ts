import type { SearchHit } from '../search';

/** Chunks to rank per wanted file when grouping by file (a file's chunks are spread by the ranking's saturation). */
export const FILE_GROUP_DEPTH = 4;

/** A file-level answer: the file, ranked by its best chunk, with the chunks that matched in it. */
export interface FileHit {
  path: string;
  /** The best chunk's score. */
  score: number;
  /** The file's matching chunks, best first. */
  hits: SearchHit[];
}

/**
 * Groups ranked chunks by file: a file ranks by its best chunk (ties broken by how many chunks matched),
 * so "which files answer this?" gets one line per file. Pass more chunks than files wanted.
 */
export function groupByFile(hits: readonly SearchHit[], k: number): FileHit[] {
  const files = new Map<string, FileHit>();
  for (const h of hits) {
    const f = files.get(h.path);
    if (f) f.hits.push(h);
    else files.set(h.path, { path: h.path, score: h.score, hits: [h] });
  }
  // Map order is first-seen order, which is the ranking's order of each file's best chunk.
  return [...files.values()].slice(0, k);
}
