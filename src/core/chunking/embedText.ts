/**
 * The text the model embeds for a chunk: a one-line header (the file's relative path, the chunk's symbol
 * path and, when the file describes itself, that description: `aiohttp/client_ws.py
 * ClientWebSocketResponse.receive (WebSocket client for asyncio.)`) above the code, so that a method can match
 * what its file and class are about. Only the embedded text changes: ranges, previews and the keyword index keep the
 * code as it is. Vectors are reused by the hash of this text, so a renamed file's chunks are embedded again.
 *
 * Measured on ../shared/eval/repos (`kindred eval repos`, docs/model-eval.md): vector NDCG@10 0.616 → 0.720,
 * hybrid + ranking stack 0.804 → 0.828 against embedding the code alone. The file's description (fileSummary.ts,
 * chunking c11): hybrid + stack 0.846 → 0.852 there, 0.894 → 0.894 and 0.935 → 0.937 on the held-out sets.
 */
import { contextFor, type FileSummary } from './fileSummary';

/**
 * Version of how files are cut and what is embedded. Bump it when the chunker or the embedded text
 * changes: each file is then chunked again on the next update (vectors of unchanged chunks are reused).
 */
export const CHUNKING_VERSION = 'c30';

export function embeddingText(relPath: string, chunk: { symbol?: string; text: string; context?: string }): string {
  return `${relPath}${chunk.symbol ? ` ${chunk.symbol}` : ''}${chunk.context ? ` (${chunk.context})` : ''}\n${chunk.text}`;
}

/**
 * What a stored chunk embeds, rebuilt from its file: its lines under the header, with the file's description
 * (`summary`, from the same text) unless the chunk holds that description itself.
 */
export function recordEmbeddingText(relPath: string, chunk: { symbol?: string; startLine: number; endLine: number }, lines: readonly string[], summary: FileSummary | undefined): string {
  return embeddingText(relPath, { symbol: chunk.symbol, text: lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'), context: contextFor(summary, chunk) });
}
