import * as path from 'node:path';

/**
 * The absolute path of `rel` inside the folder `root`, or undefined when `rel` would lead
 * outside it (or is not a usable relative path). Everything a webview or the engine sends is
 * confined with this before a file is opened.
 *
 * Pure path logic: nothing is read from disk, so symlinks are not resolved (the index never
 * follows symlinked folders). `..` segments are refused outright, even when they would end up
 * inside the folder, and so are absolute paths (`/x`, `\x`, `C:\x`, `C:x`, `\\server\share`),
 * NUL bytes and `\` used as a separator (`..\..\secret`), on every platform. `pathApi` is for
 * tests (`path.win32` on Linux).
 */
export function confine(root: string, rel: unknown, pathApi: path.PlatformPath = path): string | undefined {
  if (typeof rel !== 'string' || rel.length === 0 || rel.length > 4096 || rel.includes('\0')) return undefined;
  if (/^[\\/]/.test(rel) || /^[A-Za-z]:/.test(rel) || pathApi.isAbsolute(rel)) return undefined;
  const segments = rel.split(/[\\/]/);
  if (segments.some((s) => s === '..')) return undefined;
  const base = pathApi.resolve(root);
  const abs = pathApi.resolve(base, rel);
  const back = pathApi.relative(base, abs);
  if (back === '' || back === '..' || back.startsWith(`..${pathApi.sep}`) || pathApi.isAbsolute(back)) return undefined;
  return abs;
}

/**
 * The index of the workspace folder holding `abs` (the deepest, for nested folders), or -1. Compares
 * whole path segments: the folder `/a` does not hold `/a2/file`.
 */
export function folderIndexOf(folders: readonly { path: string }[], abs: string, pathApi: path.PlatformPath = path): number {
  let best = -1;
  folders.forEach((f, i) => {
    const back = pathApi.relative(f.path, abs);
    const inside = back === '' || (back !== '..' && !back.startsWith(`..${pathApi.sep}`) && !pathApi.isAbsolute(back));
    if (inside && (best < 0 || f.path.length > folders[best].path.length)) best = i;
  });
  return best;
}
