/**
 * The query adapter: a d×d linear map W applied to query embeddings only (W·q, renormalised). Passage
 * vectors in the index stay as they are, so adapting needs no re-embedding and switching it off is instant.
 *
 * File format (one file beside the index, `adapter-<model>-<dtype>-<dims>.kad`):
 *   bytes 0-3 "KADP", bytes 4-7 header length H (uint32 LE), H bytes of UTF-8 JSON (AdapterHeader),
 *   zero padding to a multiple of 4, then dims×dims float32 LE, row-major.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { KindredError } from '../errors';

export const ADAPTER_FORMAT = 1;
const MAGIC = 'KADP';

/** The model the adapter was trained for: an adapter only applies to vectors of that model. */
export interface AdapterKey {
  model: string;
  dtype: string;
  dims: number;
}

export interface AdapterHeader extends AdapterKey {
  format: number;
  /** Switched on only when measured better (see the adapt report); a disabled adapter is kept for reference. */
  enabled: boolean;
  /** Why it is off, when it is. */
  reason?: string;
  createdAt: string;
  /**
   * The index's files when it was trained: relative path → fingerprint of the file's text (see
   * fileFingerprint). Lets the engine count the files changed since and offer to adapt again. Absent in
   * adapters written by `kindred adapt` (it does not open the index).
   */
  trainedOn?: Record<string, string>;
  /** Set when a person turned the adapter off (it passed the measurement; it can be turned on again). */
  turnedOff?: boolean;
  /** The training run's report (pairs, before/after metrics, seed): for status and for the record. */
  report?: Record<string, unknown>;
}

export class QueryAdapter {
  constructor(
    readonly header: AdapterHeader,
    /** Row-major dims×dims. */
    readonly weights: Float32Array,
  ) {
    if (weights.length !== header.dims * header.dims) throw new Error(`adapter weights: expected ${header.dims ** 2} values, got ${weights.length}`);
  }

  get enabled(): boolean {
    return this.header.enabled;
  }

  /** W·q, normalised to unit length (the index compares by inner product). */
  apply(q: Float32Array): Float32Array {
    return applyLinear(this.weights, q);
  }
}

/** W·q normalised (a zero result stays zero). */
export function applyLinear(w: Float32Array, q: ArrayLike<number>): Float32Array {
  const d = q.length;
  const out = new Float32Array(d);
  let norm = 0;
  for (let i = 0; i < d; i++) {
    let s = 0;
    const row = i * d;
    for (let j = 0; j < d; j++) s += w[row + j] * q[j];
    out[i] = s;
    norm += s * s;
  }
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < d; i++) out[i] /= norm;
  return out;
}

export function identity(dims: number): Float32Array {
  const w = new Float32Array(dims * dims);
  for (let i = 0; i < dims; i++) w[i * dims + i] = 1;
  return w;
}

/** The adapter file for a model, in `dir` (the index directory). */
export function adapterPath(dir: string, key: AdapterKey): string {
  return path.join(dir, `adapter-${key.model.replace(/[^A-Za-z0-9._-]/g, '_')}-${key.dtype}-${key.dims}.kad`);
}

export function encodeAdapter(adapter: QueryAdapter): Buffer {
  const header = Buffer.from(JSON.stringify(adapter.header), 'utf8');
  const pad = (4 - ((8 + header.length) % 4)) % 4;
  const out = Buffer.alloc(8 + header.length + pad + adapter.weights.byteLength);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  const w = adapter.weights;
  for (let i = 0; i < w.length; i++) out.writeFloatLE(w[i], 8 + header.length + pad + i * 4);
  return out;
}

export function decodeAdapter(buf: Buffer, where = 'adapter file'): QueryAdapter {
  const bad = (why: string): never => {
    throw new KindredError('bad-argument', `${where} is not a Kindred adapter (${why}).`, 'Run `kindred adapt <folder>` again to rebuild it.');
  };
  if (buf.length < 8 || buf.toString('latin1', 0, 4) !== MAGIC) bad('bad magic');
  const h = buf.readUInt32LE(4);
  if (8 + h > buf.length) bad('truncated header');
  let header: AdapterHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + h)) as AdapterHeader;
  } catch {
    return bad('unreadable header');
  }
  if (header.format !== ADAPTER_FORMAT) bad(`format ${header.format}, expected ${ADAPTER_FORMAT}`);
  if (!Number.isInteger(header.dims) || header.dims < 1) bad('bad dims');
  const start = 8 + h + ((4 - ((8 + h) % 4)) % 4);
  const n = header.dims * header.dims;
  if (buf.length !== start + n * 4) bad(`expected ${n} weights`);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = buf.readFloatLE(start + i * 4);
  if (!w.every(Number.isFinite)) bad('non-finite weights');
  return new QueryAdapter(header, w);
}

/** Writes atomically (temp file + rename). */
export async function saveAdapter(dir: string, adapter: QueryAdapter): Promise<string> {
  const file = adapterPath(dir, adapter.header);
  await fs.mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, encodeAdapter(adapter));
  await fs.rename(tmp, file);
  return file;
}

/**
 * The adapter stored for `key` in `dir`, or undefined when there is none. A file for another model never
 * matches (its name differs); a damaged file is reported through `onError` and ignored (search goes on unadapted).
 */
export async function loadAdapter(dir: string, key: AdapterKey, onError?: (e: unknown) => void): Promise<QueryAdapter | undefined> {
  const file = adapterPath(dir, key);
  const buf = await fs.readFile(file).catch(() => undefined);
  if (!buf) return undefined;
  try {
    const a = decodeAdapter(buf, file);
    if (a.header.model !== key.model || a.header.dtype !== key.dtype || a.header.dims !== key.dims) return undefined;
    return a;
  } catch (e) {
    onError?.(e);
    return undefined;
  }
}
