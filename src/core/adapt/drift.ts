/**
 * How far the workspace has moved since the query adapter was trained: the files added, edited or removed
 * in the index since then. Past a share of the files, adapting again is offered (never done unasked).
 */

/** Adapting again is offered once this share of the files it was trained on have changed… */
export const RETRAIN_CHANGED_SHARE = 0.2;
/** …and at least this many files (a tiny workspace is not nagged after two edits). */
export const RETRAIN_MIN_CHANGED_FILES = 5;

/**
 * A file's fingerprint as the adapter records it: the end of the index's file hash (the text's hash). The
 * index prefixes its hashes with the chunking version, which is left out, so re-chunking changes nothing.
 */
export function fileFingerprint(indexHash: string): string {
  return indexHash.slice(-10);
}

/** The index's files as the adapter records them: relative path → fingerprint. */
export function fingerprintFiles(files: Iterable<{ path: string; hash: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) out[f.path] = fileFingerprint(f.hash);
  return out;
}

/** Files added, edited (another fingerprint) or removed between `trainedOn` and `current`. */
export function countChangedFiles(trainedOn: Readonly<Record<string, string>>, current: Iterable<{ path: string; hash: string }>): number {
  let changed = 0;
  let kept = 0;
  for (const f of current) {
    const was = Object.prototype.hasOwnProperty.call(trainedOn, f.path) ? trainedOn[f.path] : undefined;
    if (was === undefined) changed++;
    else {
      kept++;
      if (was !== fileFingerprint(f.hash)) changed++;
    }
  }
  // Files it was trained on that are no longer in the index.
  return changed + (Object.keys(trainedOn).length - kept);
}

/** Whether enough has changed to offer adapting again. */
export function retrainSuggested(changedFiles: number, trainedFiles: number): boolean {
  return changedFiles >= Math.max(RETRAIN_MIN_CHANGED_FILES, Math.ceil(RETRAIN_CHANGED_SHARE * trainedFiles));
}
