/**
 * A token count without the model's tokenizer, for indexing when no model is available (keyword
 * search only): a Latin word counts 1 + length/3 pieces, every other letter, digit and symbol one
 * token. On code and prose that is above WordPiece/BPE counts on the whole (about 1.4x) and within
 * 1.25x of them line by line; letter soup (base64, hashes) can be far above it. Callers keep a
 * margin (APPROXIMATE_TOKEN_MARGIN) so chunks cut with it fit the model once it is there; a chunk
 * that does not is truncated by the model, never an error.
 */
export function approximateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/[A-Za-z]+|[^\sA-Za-z]/g)) n += m[0].length > 1 ? 1 + Math.floor(m[0].length / 3) : 1;
  return n;
}

/** Share of a model's token budget to fill when counting with approximateTokens. */
export const APPROXIMATE_TOKEN_MARGIN = 0.8;
