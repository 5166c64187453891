/**
 * Trains the query adapter W (d×d, identity-initialised) with the multiple-negatives ranking loss: for a batch
 * of (query, passage) pairs, each query must score its own passage above the batch's other passages, scores
 * being cosine(W·q, p) / temperature. An L2 pull towards the identity keeps W close to the model it adapts.
 * Adam, seeded batch order (deterministic for a seed), early stopping on validation MRR.
 */
import { seededRandom } from '../cluster/vecmath';
import { applyLinear, identity } from './adapter';

/** Row-major n×dims unit vectors. */
export interface Matrix {
  dims: number;
  data: Float32Array;
}

export interface TrainOptions {
  seed?: number;
  /** Softmax temperature (sentence-transformers' MNRL uses scale 20 = 1/0.05). */
  temperature?: number;
  /** Weight of ||W − I||² (Frobenius). */
  l2?: number;
  learningRate?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without a better validation score before stopping. */
  patience?: number;
  /** Higher is better; called with the identity first, then after every epoch. Default: none (all epochs run). */
  validate?: (w: Float32Array) => number;
  onEpoch?: (epoch: number, loss: number, validation: number | undefined) => void;
  /** Checked between batches: a true return stops training (the best W so far is kept). */
  cancelled?: () => boolean;
}

export const TRAIN_DEFAULTS = { seed: 1, temperature: 0.05, l2: 0.01, learningRate: 0.0001, batchSize: 32, maxEpochs: 30, patience: 3 } as const;

export interface TrainResult {
  weights: Float32Array;
  /** Mean training loss per epoch. */
  losses: number[];
  /** Validation score per epoch, index 0 = identity (when `validate` was given). */
  validation: number[];
  /** Epoch of the kept weights (0 = identity). */
  bestEpoch: number;
  epochs: number;
}

/**
 * One batch's loss (mean MNRL over the batch, without the L2 term) and, when `grad` is given, its gradient
 * with respect to W added into `grad`. `targets[b]` indexes `passages`; passages the batch shares are one
 * candidate (so a duplicate is never its own negative).
 */
export function batchLoss(
  w: Float32Array,
  queries: Matrix,
  passages: Matrix,
  batch: readonly number[],
  targets: ArrayLike<number>,
  temperature: number,
  grad?: Float32Array,
): number {
  const d = queries.dims;
  const cands = [...new Set(batch.map((b) => targets[b]))];
  const col = new Map(cands.map((c, i) => [c, i]));
  const m = cands.length;
  let loss = 0;
  const s = new Float64Array(m);
  const gz = new Float64Array(d);
  for (const b of batch) {
    const q = queries.data.subarray(b * d, (b + 1) * d);
    // u = W q, z = u / |u|
    const u = new Float64Array(d);
    let nn = 0;
    for (let i = 0; i < d; i++) {
      let acc = 0;
      const row = i * d;
      for (let j = 0; j < d; j++) acc += w[row + j] * q[j];
      u[i] = acc;
      nn += acc * acc;
    }
    const n = Math.sqrt(nn) || 1;
    let max = -Infinity;
    for (let k = 0; k < m; k++) {
      const p = passages.data.subarray(cands[k] * d, (cands[k] + 1) * d);
      let acc = 0;
      for (let i = 0; i < d; i++) acc += u[i] * p[i];
      s[k] = acc / n / temperature;
      if (s[k] > max) max = s[k];
    }
    let sum = 0;
    for (let k = 0; k < m; k++) sum += Math.exp(s[k] - max);
    const pos = col.get(targets[b])!;
    loss += max + Math.log(sum) - s[pos];
    if (!grad) continue;
    // dL/ds_k = (softmax_k − [k = pos]) / B;  g_z = Σ_k dL/ds_k · p_k / τ
    gz.fill(0);
    for (let k = 0; k < m; k++) {
      const coef = (Math.exp(s[k] - max) / sum - (k === pos ? 1 : 0)) / batch.length / temperature;
      if (coef === 0) continue;
      const p = passages.data.subarray(cands[k] * d, (cands[k] + 1) * d);
      for (let i = 0; i < d; i++) gz[i] += coef * p[i];
    }
    // g_u = (g_z − z (z·g_z)) / |u|;  dL/dW += g_u qᵀ
    let zg = 0;
    for (let i = 0; i < d; i++) zg += (u[i] / n) * gz[i];
    for (let i = 0; i < d; i++) {
      const gu = (gz[i] - (u[i] / n) * zg) / n;
      if (gu === 0) continue;
      const row = i * d;
      for (let j = 0; j < d; j++) grad[row + j] += gu * q[j];
    }
  }
  return loss / batch.length;
}

/** Trains W on `queries[i]` → `passages[targets[i]]`, in one go (blocks the thread until done). */
export function trainAdapter(queries: Matrix, passages: Matrix, targets: ArrayLike<number>, options: TrainOptions = {}): TrainResult {
  const steps = trainSteps(queries, passages, targets, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same training, giving the event loop a turn after every batch: a process that trains while it answers
 * requests (the editor's engine) still sees a `cancel` between two batches. Same result as trainAdapter.
 */
export async function trainAdapterAsync(queries: Matrix, passages: Matrix, targets: ArrayLike<number>, options: TrainOptions = {}): Promise<TrainResult> {
  const steps = trainSteps(queries, passages, targets, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The training loop; yields after every batch (the drivers above decide what happens between batches). */
function* trainSteps(queries: Matrix, passages: Matrix, targets: ArrayLike<number>, options: TrainOptions): Generator<void, TrainResult, void> {
  const o = { ...TRAIN_DEFAULTS, ...options };
  const d = queries.dims;
  const n = queries.data.length / d;
  const w = identity(d);
  const grad = new Float32Array(d * d);
  const m1 = new Float32Array(d * d);
  const m2 = new Float32Array(d * d);
  const b1 = 0.9;
  const b2 = 0.999;
  const eps = 1e-8;
  let step = 0;
  const rnd = seededRandom(o.seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const losses: number[] = [];
  const validation: number[] = [];
  let best = w.slice();
  let bestEpoch = 0;
  let bestScore = -Infinity;
  if (o.validate) {
    bestScore = o.validate(w);
    validation.push(bestScore);
  }
  let epoch = 0;
  let stale = 0;
  outer: for (epoch = 1; epoch <= o.maxEpochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let total = 0;
    let batches = 0;
    for (let start = 0; start < n; start += o.batchSize) {
      if (o.cancelled?.()) {
        epoch--;
        break outer;
      }
      const batch = order.slice(start, start + o.batchSize);
      if (batch.length < 2) continue;
      grad.fill(0);
      total += batchLoss(w, queries, passages, batch, targets, o.temperature, grad);
      batches++;
      // + d/dW of l2·||W − I||²
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) grad[i * d + j] += 2 * o.l2 * (w[i * d + j] - (i === j ? 1 : 0));
      step++;
      const c1 = 1 - b1 ** step;
      const c2 = 1 - b2 ** step;
      for (let k = 0; k < w.length; k++) {
        const g = grad[k];
        m1[k] = b1 * m1[k] + (1 - b1) * g;
        m2[k] = b2 * m2[k] + (1 - b2) * g * g;
        w[k] -= (o.learningRate * (m1[k] / c1)) / (Math.sqrt(m2[k] / c2) + eps);
      }
      yield;
    }
    const loss = batches ? total / batches : 0;
    losses.push(loss);
    const score = o.validate?.(w);
    o.onEpoch?.(epoch, loss, score);
    if (score === undefined) {
      best = w.slice();
      bestEpoch = epoch;
      continue;
    }
    validation.push(score);
    if (score > bestScore) {
      bestScore = score;
      best = w.slice();
      bestEpoch = epoch;
      stale = 0;
    } else if (++stale >= o.patience) break;
  }
  return { weights: best, losses, validation, bestEpoch, epochs: Math.min(epoch, o.maxEpochs) };
}

/** MRR and Recall@10 of `queries[i]` → `gallery[targets[i]]` by exact inner product, queries mapped by W (or not). */
export function retrievalMetrics(queries: Matrix, gallery: Matrix, targets: ArrayLike<number>, w?: Float32Array): { MRR: number; 'R@10': number } {
  const d = queries.dims;
  const nq = queries.data.length / d;
  const ng = gallery.data.length / d;
  let rr = 0;
  let hit = 0;
  const scores = new Float32Array(ng);
  for (let i = 0; i < nq; i++) {
    const raw = queries.data.subarray(i * d, (i + 1) * d);
    const q = w ? applyLinear(w, raw) : raw;
    for (let g = 0; g < ng; g++) {
      let s = 0;
      const off = g * d;
      for (let k = 0; k < d; k++) s += gallery.data[off + k] * q[k];
      scores[g] = s;
    }
    const t = targets[i];
    let rank = 1;
    // Ties go against the target (a constant score never looks good).
    for (let g = 0; g < ng; g++) if (g !== t && scores[g] >= scores[t]) rank++;
    rr += 1 / rank;
    if (rank <= 10) hit++;
  }
  return { MRR: nq ? rr / nq : 0, 'R@10': nq ? hit / nq : 0 };
}
