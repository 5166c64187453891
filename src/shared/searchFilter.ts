/**
 * What a search is narrowed to: the panel's folder/glob box and its "include tests" toggle. Shared by
 * the webview protocol and the engine protocol (plain data, no Node or DOM types).
 */
export interface SearchFilter {
  /** A folder (`lib/router`), a file or gitignore-style globs (`*.ts`, `src/*.py`), comma-separated, relative to each workspace folder. */
  path?: string;
  /** Keep test files (default true); false leaves out paths that look like tests (test/, *.test.ts, test_*.py, ...). */
  includeTests?: boolean;
}

/** True when the filter narrows nothing. */
export function isEmptyFilter(f: SearchFilter | undefined): boolean {
  return !f || (!f.path?.trim() && f.includeTests !== false);
}
