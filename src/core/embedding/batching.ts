/**
 * Items per batch, and padded characters per batch (the longest text × the batch size).
 * One text per call: on this 2-core CPU one-thread onnxruntime is fastest at one chunk per call
 * (`kindred index` of aiohttp, 1,995 chunks: 29.4 s at 1 against 57.0 s at 32), and an int8 vector
 * then depends on its text alone, never on its batch-mates (reused vectors are reproducible).
 */
export const MAX_BATCH_ITEMS = 1;
export const MAX_BATCH_CHARS = 32 * 1024;

/**
 * Groups items into batches of similar text length: sorted by length, a batch closes when it is
 * full or when padding every text to the longest one would pass MAX_BATCH_CHARS. Little of each
 * batch is padding, which is most of the speed-up over batching in file order.
 */
export function lengthBatches<T>(items: readonly T[], length: (item: T) => number): T[][] {
  const sorted = [...items].sort((a, b) => length(a) - length(b));
  const batches: T[][] = [];
  let cur: T[] = [];
  for (const item of sorted) {
    // Sorted by length, so this item is the longest in the batch: it sets the padded size.
    if (cur.length > 0 && (cur.length >= MAX_BATCH_ITEMS || length(item) * (cur.length + 1) > MAX_BATCH_CHARS)) {
      batches.push(cur);
      cur = [];
    }
    cur.push(item);
  }
  if (cur.length) batches.push(cur);
  return batches;
}
