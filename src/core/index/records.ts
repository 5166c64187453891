/** What the index stores of a file and of a chunk, as the rest of the engine sees it. */
import { createHash } from 'node:crypto';
import type { Dtype } from '../embedding/models';

export interface FileRecord {
  path: string;
  size: number;
  mtimeMs: number;
  /** Hash of the file's decoded text. */
  hash: string;
  /** Ids of the file's chunks (read from the store when asked for). */
  readonly chunks: number[];
  /**
   * Read so soon after its last modification that a later write may have kept the same size and
   * (coarse) mtime: the next update reads it again instead of trusting size and mtime ("racy git").
   */
  racy?: boolean;
  /** Its header says a tool generated it (ranking/generated.ts). Absent in an index written before it (schema.ts). */
  generated?: boolean;
}

export interface ChunkRecord {
  id: number;
  path: string;
  startLine: number;
  endLine: number;
  symbol?: string;
  /** Hash of the chunk's text: equal hashes share one embedding. */
  hash: string;
  /** Hash of the chunk's own text, without the embedding's header (which names the path): equal bodies are the same code in different places. Absent in an index written before it (schema.ts). */
  body?: string;
  /** Its file is generated code (FileRecord.generated). */
  generated?: boolean;
}

/** A chunk that defines a name: as its own symbol, or as one of the names it holds besides (`grouped`: see chunk_names). */
export interface DefinitionRecord extends ChunkRecord {
  grouped?: boolean;
}

export interface ModelKey {
  id: string;
  dtype: Dtype;
  dims: number;
}

export interface NewChunk {
  startLine: number;
  endLine: number;
  symbol?: string;
  hash: string;
  /** bodyHash of `text`. */
  body?: string;
  text: string;
  /** Definitions the chunk holds besides its symbol's (see Chunk.names). */
  names?: readonly string[];
}

/** The hash of a chunk's (or a file's) text: equal hashes share one embedding. */
export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('base64url').slice(0, 20);
}

/** A chunk's body hash (ChunkRecord.body): its own text's, shorter than hashText, as it only tells copies apart among a query's candidates. */
export function bodyHash(text: string): string {
  return hashText(text).slice(0, 12);
}
