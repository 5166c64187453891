import { DatabaseSync, type DatabaseSyncInstance, type StatementSyncInstance } from '@photostructure/sqlite';
import { codeTokens, queryTokens } from './tokenize';

/** What the keyword index stores per chunk: text, path and symbol are searched; nothing is stored back. */
export interface LexicalDoc {
  id: number;
  text: string;
  path: string;
  symbol: string;
}

/**
 * The FTS5 table. Text goes in already split by the project's code-aware tokenizer (codeTokens:
 * identifiers whole and split, lower-cased) and joined by spaces, so FTS5's own tokenizer only has to
 * split on spaces: unicode61 with `_` and `$` as token characters keeps every codeTokens token whole.
 * Contentless (the text is not stored: previews are read from the files) with contentless_delete so
 * rows can be deleted. Columns weigh 1 (text), 1.5 (path), 2 (symbol), as the MiniSearch index did.
 */
export const FTS_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(text, path, symbol, content='', contentless_delete=1,
  tokenize="unicode61 remove_diacritics 0 tokenchars '_$'");
INSERT INTO fts(fts, rank) VALUES('rank', 'bm25(1.0, 1.5, 2.0)');
`;

function tokenised(text: string): string {
  return codeTokens(text).join(' ');
}

/** An FTS5 MATCH expression: any of the tokens (OR), each quoted; undefined if there are none. */
export function matchExpression(tokens: readonly string[]): string | undefined {
  return tokens.length ? tokens.map((t) => `"${t}"`).join(' OR ') : undefined;
}

/**
 * For hybrid search, a query term found in more than this share of chunks (1%) is left out of the keyword query when
 * rarer terms remain: its BM25 weight (IDF) is small, but scoring every chunk that contains it is most of a
 * query's time on a big index, and the vector side carries what it means. Keyword-only search keeps every term.
 */
export const COMMON_TERM_SHARE = 0.01;
/** ...and in more than this many chunks: below it a term costs little to score (small indexes keep every term). */
export const COMMON_TERM_MIN = 5000;

/** The query's terms worth matching: rare ones first; common ones only when nothing rarer is left. */
export function selectTerms(terms: readonly string[], docFreq: (t: string) => number, total: number): string[] {
  if (terms.length <= 1 || total <= 0) return [...terms];
  const df = new Map(terms.map((t) => [t, docFreq(t)]));
  const present = terms.filter((t) => df.get(t)! > 0);
  const rare = present.filter((t) => df.get(t)! <= Math.max(COMMON_TERM_SHARE * total, COMMON_TERM_MIN));
  if (rare.length > 0) return rare;
  // Only common terms: the rarest of them still ranks.
  return present.length ? [present.reduce((a, b) => (df.get(a)! <= df.get(b)! ? a : b))] : [...terms];
}

/** BM25 over chunks (SQLite FTS5, on disk): top-k in C with ORDER BY rank LIMIT. */
export class LexicalIndex {
  private readonly insertStmt: StatementSyncInstance | undefined;
  private readonly deleteStmt: StatementSyncInstance | undefined;
  private readonly topStmt: StatementSyncInstance;
  private readonly allStmt: StatementSyncInstance;
  private readonly hasStmt: StatementSyncInstance;

  constructor(
    private readonly db: DatabaseSyncInstance,
    /** Called before any change (opens the writer's transaction). */
    private readonly beforeWrite: () => void,
    readOnly: boolean,
  ) {
    if (!readOnly) {
      this.insertStmt = db.prepare('INSERT INTO fts(rowid, text, path, symbol) VALUES (?, ?, ?, ?)');
      this.deleteStmt = db.prepare('DELETE FROM fts WHERE rowid = ?');
    }
    this.topStmt = db.prepare('SELECT rowid AS id, rank FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT ?');
    this.allStmt = db.prepare('SELECT rowid AS id, rank FROM fts WHERE fts MATCH ? ORDER BY rank');
    this.hasStmt = db.prepare('SELECT 1 AS x FROM fts WHERE rowid = ?');
    // Document frequencies from FTS5's own index (a temp table: readers open the database read-only).
    db.exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_vocab USING fts5vocab(main, fts, 'row')");
    this.dfStmt = db.prepare('SELECT doc FROM temp.fts_vocab WHERE term = ?');
  }

  private readonly dfStmt: StatementSyncInstance;
  /** Rows in the index, counted on first need after a change (this process's or, via the store's refresh, another's). */
  private total: number | undefined;

  /** Another process committed: counts are recomputed when next needed. */
  invalidate(): void {
    this.total = undefined;
  }

  private docFreq(term: string): number {
    return Number((this.dfStmt.get(term) as { doc: number } | undefined)?.doc ?? 0);
  }

  /** A keyword index of its own in memory (the evaluation harness ranks a corpus with it). */
  static empty(): LexicalIndex {
    const db = new DatabaseSync(':memory:');
    db.exec(FTS_SCHEMA);
    return new LexicalIndex(db, () => undefined, false);
  }

  get size(): number {
    return Number((this.db.prepare('SELECT count(*) AS n FROM fts').get() as { n: number }).n);
  }

  has(id: number): boolean {
    return this.hasStmt.get(id) !== undefined;
  }

  add(docs: LexicalDoc[]): void {
    if (docs.length === 0) return;
    this.beforeWrite();
    this.total = undefined;
    for (const d of docs) this.insertStmt!.run(d.id, tokenised(d.text), tokenised(d.path), tokenised(d.symbol));
  }

  remove(ids: Iterable<number>): void {
    this.beforeWrite();
    this.total = undefined;
    for (const id of ids) this.deleteStmt!.run(id);
  }

  /**
   * Best first; score is BM25 (positive, higher is better). `skipCommon` (hybrid search): terms in more than
   * COMMON_TERM_SHARE and COMMON_TERM_MIN of the chunks are left out when rarer ones remain.
   */
  search(query: string, limit: number, filter?: (id: number) => boolean, opts: { skipCommon?: boolean } = {}): { id: number; score: number }[] {
    const terms = queryTokens(query);
    const match = matchExpression(opts.skipCommon ? selectTerms(terms, (t) => this.docFreq(t), (this.total ??= this.size)) : terms);
    if (!match || limit <= 0) return [];
    if (!filter) return (this.topStmt.all(match, limit) as { id: number; rank: number }[]).map((r) => ({ id: r.id, score: -r.rank }));
    // A filter is applied as rows stream out of FTS5 (still best first); stop once there are enough.
    const out: { id: number; score: number }[] = [];
    for (const r of this.allStmt.iterate(match) as Iterable<{ id: number; rank: number }>) {
      if (!filter(r.id)) continue;
      out.push({ id: r.id, score: -r.rank });
      if (out.length >= limit) break;
    }
    return out;
  }
}
