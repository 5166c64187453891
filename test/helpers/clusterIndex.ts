import type { ClusterIndex } from '../../src/core/cluster';
import { normalized, seededRandom } from '../../src/core/cluster/vecmath';
import { hashText, type ChunkRecord, type FileRecord } from '../../src/core/index/store';
import { writeTree } from './fixtures';

/** A ClusterIndex in memory whose files exist on disk (labels read them); counts vector reads. */
export class FakeIndex implements ClusterIndex {
  readonly files = new Map<string, FileRecord>();
  readonly chunks = new Map<number, ChunkRecord>();
  readonly vectors = new Map<number, Float32Array>();
  vectorCalls = 0;
  private nextId = 1;

  constructor(readonly folder: string) {}

  vectorOf(id: number): Float32Array | undefined {
    this.vectorCalls++;
    return this.vectors.get(id);
  }

  /** Writes the file and indexes it with `chunkVectors.length` chunks (symbols `fn0`, `fn1`, ... unless given). */
  put(rel: string, text: string, chunkVectors: number[][], symbols?: string[]): void {
    writeTree(this.folder, { [rel]: text });
    const old = this.files.get(rel);
    for (const id of old?.chunks ?? []) {
      this.chunks.delete(id);
      this.vectors.delete(id);
    }
    const ids = chunkVectors.map((v, i) => {
      const id = this.nextId++;
      this.chunks.set(id, { id, path: rel, startLine: i * 3 + 1, endLine: i * 3 + 3, hash: hashText(`${rel}#${i}#${text}`), symbol: symbols?.[i] ?? `fn${i}` });
      this.vectors.set(id, Float32Array.from(normalized(v)));
      return id;
    });
    this.files.set(rel, { path: rel, size: text.length, mtimeMs: 0, hash: hashText(text), chunks: ids });
  }
}

/** Gaussian noise from a seeded uniform generator (Box-Muller). */
export function gaussian(rnd: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/** Planted clusters: `sizes[c]` unit vectors around random unit centres, in `dims` dimensions. */
export function planted(sizes: number[], dims: number, noise: number, seed = 7): { vectors: number[][]; truth: number[]; centres: number[][] } {
  const g = gaussian(seededRandom(seed));
  const centres = sizes.map(() => normalized(Array.from({ length: dims }, g)));
  const vectors: number[][] = [];
  const truth: number[] = [];
  sizes.forEach((size, c) => {
    for (let i = 0; i < size; i++) {
      vectors.push(normalized(centres[c].map((x) => x + noise * g())));
      truth.push(c);
    }
  });
  return { vectors, truth, centres };
}
