import { PCA } from 'ml-pca';
import { DEFAULT_SEED } from './kmeans';
import { sampleIndices } from './vecmath';

/** PCA is fitted on at most this many points (ml-pca on 384 dims costs ~1 s at a few hundred rows); every point is then projected. */
export const PCA_SAMPLE = 300;

/**
 * A 2-D map of the vectors: the first two principal components (ml-pca, NIPALS), fitted on a
 * seeded sample and kept, so later updates project new vectors into the same plane.
 */
export class Projection {
  private constructor(private readonly pca: PCA | undefined) {}

  static fit(vectors: number[][], seed = DEFAULT_SEED, sampleSize = PCA_SAMPLE): Projection {
    if (vectors.length < 3) return new Projection(undefined);
    const sample = sampleIndices(vectors.length, sampleSize, seed).map((i) => vectors[i]);
    try {
      return new Projection(new PCA(sample, { method: 'NIPALS', nCompNIPALS: 2, center: true }));
    } catch {
      return new Projection(undefined);
    }
  }

  /** x, y in [0, 1] (min-max over these points); 0.5 on an axis with no spread. */
  project(vectors: number[][]): { x: number; y: number }[] {
    const n = vectors.length;
    let xs: number[];
    let ys: number[];
    if (!this.pca || n < 3) {
      xs = vectors.map((_, i) => (n > 1 ? i / (n - 1) : 0.5));
      ys = vectors.map(() => 0.5);
    } else {
      const m = this.pca.predict(vectors, { nComponents: 2 });
      xs = m.getColumn(0);
      ys = m.getColumn(1);
    }
    const scale = (a: number[]): number[] => {
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of a) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return a.map((v) => (hi - lo > 1e-12 ? Math.round(((v - lo) / (hi - lo)) * 1e4) / 1e4 : 0.5));
    };
    const sx = scale(xs);
    const sy = scale(ys);
    return sx.map((x, i) => ({ x, y: sy[i] }));
  }
}
