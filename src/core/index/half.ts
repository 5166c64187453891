/**
 * IEEE 754 half precision (binary16) for the vector delta: a committed vector waits in SQLite as
 * 2 bytes per dimension until the next HNSW snapshot holds it (half the bytes written per vector).
 * For normalized embeddings the rounding error is ≤ 2^-11 relative per component (cosine to the
 * original > 0.99999).
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = ((b >>> 23) & 0xff) - 127 + 15;
  const mant = b & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00 | (((b >>> 23) & 0xff) === 0xff && mant ? 0x200 : 0); // overflow → inf; NaN stays NaN
  if (exp <= 0) {
    if (exp < -10) return sign; // too small: signed zero
    const m = mant | 0x800000;
    const shift = 14 - exp;
    let h = m >>> shift;
    if ((m >>> (shift - 1)) & 1) h++; // round half up
    return sign | h;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  if (mant & 0x1000) h++; // round half up (a carry into the exponent is still correct)
  return h;
}

function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeHalf(v: Float32Array): Uint8Array {
  const out = new Uint16Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = toHalf(v[i]);
  return new Uint8Array(out.buffer);
}

export function decodeHalf(b: Uint8Array): Float32Array {
  const h = new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = fromHalf(h[i]);
  return out;
}
