import { closeSync, constants as FS, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** Why a file is not indexed. 'changing': it kept changing while being read (it is read again on its next change). */
export type SkipReason = 'binary' | 'too-large' | 'unreadable' | 'encoding' | 'empty' | 'changing';

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

/**
 * Lines `start`..`end` (1-based, inclusive; start ≥ 1) of file bytes: the same as
 * `decodeText(buf)?.split(/\r?\n/).slice(start - 1, end)`, but UTF-8 is cut at its newlines before
 * decoding, so a preview of a few lines of a 600 KB file decodes those lines, not the file.
 * Undefined for binary content (a NUL in the first bytes).
 */
export function decodeLines(buf: Uint8Array, start: number, end: number): string[] | undefined {
  if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) return decodeText(buf)?.split(/\r?\n/).slice(start - 1, end);
  if (buf.subarray(0, SNIFF_BYTES).includes(0)) return undefined;
  const first = Math.max(1, start);
  if (end < first) return [];
  let pos = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  for (let line = 1; line < first; line++) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) return [];
    pos = nl + 1;
  }
  const from = pos;
  let to = buf.length;
  let atNewline = false;
  for (let line = first; ; line++) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    if (line === end) {
      to = nl;
      atNewline = true;
      break;
    }
    pos = nl + 1;
  }
  const lines = new TextDecoder('utf-8').decode(buf.subarray(from, to)).split(/\r?\n/);
  // The last line's "\r\n" was cut before its "\n".
  if (atNewline && lines[lines.length - 1].endsWith('\r')) lines[lines.length - 1] = lines[lines.length - 1].slice(0, -1);
  return lines;
}

/** Attempts at a consistent read of a file that is being written meanwhile. */
const READ_ATTEMPTS = 3;
/**
 * A file modified this recently (ms) is read twice and must read the same: mtimes are coarse (a few
 * ms on Linux, 1-2 s on some file systems), so an in-place write during the read can leave them
 * unchanged.
 */
const RECENT_MS = 2000;

/**
 * Reads a file as text, or says why it was skipped. Never throws. A read is kept only if the file
 * did not change during it (same inode, size and mtime before and after, as many bytes read as it
 * had, and for a recently modified file the same bytes twice): a file caught mid-write (truncated,
 * half written, replaced) is read again, and skipped as 'changing' if it never holds still.
 *
 * The reads themselves are synchronous: files are read one after another anyway, and a thread-pool
 * round trip per call costs far more than reading a small file from the page cache (100,000 small
 * files: seconds instead of tens of seconds). Callers yield to the event loop between files.
 */
export async function readTextFile(absPath: string, maxBytes: number): Promise<ReadResult> {
  for (let attempt = 1; ; attempt++) {
    const r = readOnce(absPath, maxBytes);
    if (r !== 'changed') return r;
    if (attempt >= READ_ATTEMPTS) return { ok: false, reason: 'changing', detail: 'it kept changing while being read' };
    await new Promise((resolve) => setTimeout(resolve, 5 * attempt));
  }
}

/** Up to `length` bytes from the start of the file. */
function readAt(fd: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let n = 0;
  while (n < length) {
    const got = readSync(fd, buf, n, length - n, n);
    if (got === 0) break;
    n += got;
  }
  return buf.subarray(0, n);
}

function readOnce(absPath: string, maxBytes: number): ReadResult | 'changed' {
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO put where a file was must not block the read forever (no effect on files).
    fd = openSync(absPath, FS.O_RDONLY | FS.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: 'unreadable', detail: 'not a regular file' };
    if (st.size > maxBytes) return { ok: false, reason: 'too-large', detail: `${st.size} bytes` };
    // One byte more than its size: a file that grows meanwhile shows it.
    const buf = readAt(fd, st.size + 1);
    let after: Stats | undefined;
    try {
      after = statSync(absPath);
    } catch {
      after = undefined;
    }
    if (buf.length !== st.size || !after || after.ino !== st.ino || after.size !== st.size || after.mtimeMs !== st.mtimeMs) return 'changed';
    if (Date.now() - st.mtimeMs < RECENT_MS && !readAt(fd, st.size + 1).equals(buf)) return 'changed';
    const text = decodeText(buf);
    if (text === undefined) return { ok: false, reason: buf.subarray(0, SNIFF_BYTES).includes(0) ? 'binary' : 'encoding' };
    if (text.trim().length === 0) return { ok: false, reason: 'empty' };
    return { ok: true, text, size: st.size, mtimeMs: st.mtimeMs };
  } catch (e) {
    return { ok: false, reason: 'unreadable', detail: (e as NodeJS.ErrnoException).code ?? String(e) };
  } finally {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // nothing to do
      }
    }
  }
}
