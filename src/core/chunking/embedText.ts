/**
 * The text the model embeds for a chunk. Only the embedded text changes: ranges, previews and the keyword
 * index keep the code as it is. Vectors are reused by the hash of this text.
 */
export type HeaderStyle = 'none' | 'symbol' | 'path';

const STYLE = (process.env.KINDRED_EMBED_HEADER as HeaderStyle | undefined) ?? 'none';

export function embeddingText(relPath: string, chunk: { symbol?: string; text: string }, style: HeaderStyle = STYLE): string {
  if (style === 'none') return chunk.text;
  const head = style === 'path' ? `${relPath}${chunk.symbol ? ` ${chunk.symbol}` : ''}` : (chunk.symbol ?? '');
  return head ? `${head}\n${chunk.text}` : chunk.text;
}
