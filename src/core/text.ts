import { promises as fs } from 'node:fs';

export type SkipReason = 'binary' | 'too-large' | 'unreadable' | 'encoding' | 'empty';

export type ReadResult = { ok: true; text: string; size: number; mtimeMs: number } | { ok: false; reason: SkipReason; detail?: string };

/** Bytes inspected for NUL when deciding whether a file is binary (git uses the same window). */
const SNIFF_BYTES = 8000;

/**
 * Decodes file bytes to text. Handles UTF-8 (with or without BOM) and UTF-16 LE/BE with BOM.
 * Returns undefined for binary content (NUL bytes without a UTF-16 BOM, or mostly undecodable bytes).
 */
export function decodeText(buf: Uint8Array): string | undefined {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder('utf-16le').decode(buf.subarray(2));
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder('utf-16be').decode(buf.subarray(2));
  const sniff = buf.subarray(0, SNIFF_BYTES);
  if (sniff.includes(0)) return undefined;
  const start = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const text = new TextDecoder('utf-8').decode(buf.subarray(start));
  // Invalid UTF-8 decodes to U+FFFD; a few are tolerated (a stray Latin-1 byte), many mean "not text".
  let bad = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0xfffd) bad++;
  if (bad > 16 && bad > text.length / 20) return undefined;
  return text;
}

/** Reads a file as text, or says why it was skipped. Never throws. */
export async function readTextFile(absPath: string, maxBytes: number): Promise<ReadResult> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(absPath, 'r');
    const st = await handle.stat();
    if (!st.isFile()) return { ok: false, reason: 'unreadable', detail: 'not a regular file' };
    if (st.size > maxBytes) return { ok: false, reason: 'too-large', detail: `${st.size} bytes` };
    const buf = await handle.readFile();
    if (buf.length > maxBytes) return { ok: false, reason: 'too-large', detail: `${buf.length} bytes` };
    const text = decodeText(buf);
    if (text === undefined) return { ok: false, reason: buf.subarray(0, SNIFF_BYTES).includes(0) ? 'binary' : 'encoding' };
    if (text.trim().length === 0) return { ok: false, reason: 'empty' };
    return { ok: true, text, size: st.size, mtimeMs: st.mtimeMs };
  } catch (e) {
    return { ok: false, reason: 'unreadable', detail: (e as NodeJS.ErrnoException).code ?? String(e) };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
