/**
 * The text the model embeds for a chunk. Only the embedded text changes: ranges, previews and the keyword
 * index keep the code as it is. Vectors are reused by the hash of this text.
 */
/**
 * Version of how files are cut and what is embedded. Bump it when the chunker or the embedded text
 * changes: each file is then chunked again on the next update (vectors of unchanged chunks are reused).
 */
export const CHUNKING_VERSION = `c2${process.env.KINDRED_EMBED_HEADER ? `-${process.env.KINDRED_EMBED_HEADER}` : ''}${process.env.KINDRED_CHUNK_SPAN ? `-x${process.env.KINDRED_CHUNK_SPAN}` : ''}`;

export type HeaderStyle = 'none' | 'symbol' | 'path';

const STYLE = (process.env.KINDRED_EMBED_HEADER as HeaderStyle | undefined) ?? 'none';

export function embeddingText(relPath: string, chunk: { symbol?: string; text: string }, style: HeaderStyle = STYLE): string {
  if (style === 'none') return chunk.text;
  const head = style === 'path' ? `${relPath}${chunk.symbol ? ` ${chunk.symbol}` : ''}` : (chunk.symbol ?? '');
  return head ? `${head}\n${chunk.text}` : chunk.text;
}
