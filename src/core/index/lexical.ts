import MiniSearch, { type Options, type SearchResult } from 'minisearch';
import { codeTokens } from './tokenize';

/** What the lexical index stores per chunk: text, path and symbol are searched; nothing is stored back. */
export interface LexicalDoc {
  id: number;
  text: string;
  path: string;
  symbol: string;
}

const OPTIONS: Options<LexicalDoc> = {
  idField: 'id',
  fields: ['text', 'path', 'symbol'],
  storeFields: [],
  tokenize: (text) => codeTokens(text),
  processTerm: (term) => term,
  // MiniSearch's automatic vacuuming runs in the background and can overlap with additions; the
  // index compacts explicitly instead, before it is saved (see compact()).
  autoVacuum: false,
  // BM25 parameters: MiniSearch's defaults (k=1.2, b=0.7, d=0.5: BM25+).
};

/** BM25 over chunks with code-aware tokens. Built fast, usable before any embedding is done. */
export class LexicalIndex {
  private constructor(private readonly ms: MiniSearch<LexicalDoc>) {}

  static empty(): LexicalIndex {
    return new LexicalIndex(new MiniSearch(OPTIONS));
  }

  static fromJSON(json: string): LexicalIndex {
    return new LexicalIndex(MiniSearch.loadJSON(json, OPTIONS));
  }

  toJSON(): string {
    return JSON.stringify(this.ms);
  }

  get size(): number {
    return this.ms.documentCount;
  }

  has(id: number): boolean {
    return this.ms.has(id);
  }

  /** Drops the data of discarded documents once enough has piled up. Call when nothing else mutates the index. */
  async compact(): Promise<void> {
    if (this.ms.dirtCount > 1000 && this.ms.dirtFactor > 0.1) await this.ms.vacuum({ batchSize: 100_000, batchWait: 0 });
  }

  add(docs: LexicalDoc[]): void {
    this.ms.addAll(docs);
  }

  remove(ids: Iterable<number>): void {
    for (const id of ids) if (this.ms.has(id)) this.ms.discard(id);
  }

  search(query: string, limit: number, filter?: (id: number) => boolean): { id: number; score: number }[] {
    const results: SearchResult[] = this.ms.search(query, {
      boost: { symbol: 2, path: 1.5 },
      combineWith: 'OR',
      filter: filter ? (r) => filter(r.id as number) : undefined,
    });
    return results.slice(0, limit).map((r) => ({ id: r.id as number, score: r.score }));
  }
}
