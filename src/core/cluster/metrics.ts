/** Agreement between two labelings of the same items (for tests and evaluation). */

function contingency(a: ArrayLike<number | string>, b: ArrayLike<number | string>): { table: Map<string, number>; rows: Map<number | string, number>; cols: Map<number | string, number> } {
  if (a.length !== b.length) throw new Error('labelings differ in length');
  const table = new Map<string, number>();
  const rows = new Map<number | string, number>();
  const cols = new Map<number | string, number>();
  for (let i = 0; i < a.length; i++) {
    const key = `${a[i]}\u0000${b[i]}`;
    table.set(key, (table.get(key) ?? 0) + 1);
    rows.set(a[i], (rows.get(a[i]) ?? 0) + 1);
    cols.set(b[i], (cols.get(b[i]) ?? 0) + 1);
  }
  return { table, rows, cols };
}

const pairs = (n: number): number => (n * (n - 1)) / 2;

/** Adjusted Rand index (Hubert & Arabie): 1 for identical partitions, about 0 for random ones. */
export function adjustedRandIndex(a: ArrayLike<number | string>, b: ArrayLike<number | string>): number {
  const n = a.length;
  if (n < 2) return 1;
  const { table, rows, cols } = contingency(a, b);
  let index = 0;
  for (const v of table.values()) index += pairs(v);
  let sa = 0;
  for (const v of rows.values()) sa += pairs(v);
  let sb = 0;
  for (const v of cols.values()) sb += pairs(v);
  const expected = (sa * sb) / pairs(n);
  const max = (sa + sb) / 2;
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}

/** Purity of `predicted` against `truth`: the share of items whose cluster's majority truth label is their own. */
export function purity(predicted: ArrayLike<number | string>, truth: ArrayLike<number | string>): number {
  const { table } = contingency(predicted, truth);
  const best = new Map<string, number>();
  for (const [key, v] of table) {
    const p = key.split('\u0000')[0];
    best.set(p, Math.max(best.get(p) ?? 0, v));
  }
  let s = 0;
  for (const v of best.values()) s += v;
  return predicted.length ? s / predicted.length : 1;
}
