import { promises as fs } from 'node:fs';
import { codeTokens } from '../index/tokenize';
import { decodeText } from '../text';

/** Term → count in one file (or chunk). */
export type TermCounts = Map<string, number>;

/** Bytes read per file for labels: enough for its vocabulary, cheap for 10,000 files. */
export const MAX_LABEL_BYTES = 64 * 1024;

/**
 * Words that say nothing about what code does: English function words, keywords and built-in
 * type names of common languages, and ubiquitous programming words. (codeTokens already drops a few.)
 */
const STOP = new Set(
  (
    'about above after again all also any are because been before being below between both but can cannot could did does doing done down during each else ever few for from further had has have having her here hers him his how however its just more most must nor not now off once only other our out over own same she should since some such than that the their them then there these they this those through too under until very was way were what when where which while who whom why will with would you your yes yet ' +
    // keywords and built-ins
    'abstract and arguments as assert async await bool boolean break byte case catch char class const constructor continue debugger def default del delete do double elif elseif end enum except export extends false final finally float fn for foreach func function global go goto impl implements import in include instanceof int interface internal is lambda let long match mod module mut namespace native new nil none not null number object of or override package pass private protected pub public raise readonly ref require return self short static str string struct super switch sync synchronized this throw throws trait true try type typeof uint undefined unsigned use using val var void volatile where while with yield ' +
    // ubiquitous in code, distinctive of nothing
    'args arg get set value values data result results item items index len length count list map obj options opts param params prop props key keys name names todo fixme note see example returns return param type types the_ tmp temp val var err error errors exports src lib dist www com org license copyright prototype module anonymous'
  ).split(/\s+/),
);

const verdicts = new Map<string, boolean>();

/** Is this a term worth showing: at least 3 characters with 2 letters, not a number, not a stop word. */
export function isLabelTerm(t: string): boolean {
  let v = verdicts.get(t);
  if (v === undefined) {
    if (verdicts.size > 200_000) verdicts.clear();
    verdicts.set(t, (v = judge(t)));
  }
  return v;
}

function judge(t: string): boolean {
  if (t.length < 3 || t.length > 30 || STOP.has(t)) return false;
  if (/^\d/.test(t) || /^(?=.*\d)[0-9a-f]{6,}$/.test(t) || /^x[0-9a-f]{1,16}$/.test(t)) return false; // numbers, hashes, 0x literals
  return (t.match(/\p{L}/gu)?.length ?? 0) >= 2;
}

/**
 * Counts the label terms of a text: identifiers split on camelCase / snake_case (codeTokens),
 * parts only (the whole compound `getusername` is dropped when its parts follow), lower-cased.
 */
export function countTerms(text: string): TermCounts {
  const tokens = codeTokens(text);
  const counts: TermCounts = new Map();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const next = tokens[i + 1];
    // codeTokens emits a compound identifier whole, then its parts.
    if (next !== undefined && next.length < t.length && t.replace(/[_$]/g, '').includes(next)) continue;
    if (!isLabelTerm(t)) continue;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  return counts;
}

/** Terms of a relative path: folder names and the file name without extension, split like identifiers. */
export function pathTerms(relPath: string): string[] {
  const parts = relPath.split('/');
  const base = parts.pop() ?? '';
  parts.push(base.replace(/\.[^.]+$/, ''));
  return [...countTerms(parts.join(' ')).keys()];
}

/** Reads at most `maxBytes` of a file and decodes it; '' when unreadable or binary. Never throws. */
export async function readHead(absPath: string, maxBytes = MAX_LABEL_BYTES): Promise<string> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(absPath, 'r');
    const buf = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buf, 0, maxBytes, 0);
    return decodeText(buf.subarray(0, bytesRead)) ?? '';
  } catch {
    return '';
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** One document of the c-TF-IDF corpus: its term counts, extra (path) terms, and its cluster. */
export interface LabelDoc {
  counts: TermCounts;
  extra?: readonly string[];
  /** Label terms of the symbols defined in it (functions, methods, classes, headings). */
  symbols?: readonly string[];
  cluster: number;
}

/** Weight of a path (or symbol) term relative to one occurrence in the text. */
export const PATH_TERM_WEIGHT = 2;
/** Weight of a term of a symbol defined in the document: what the code is named after says what it does. */
export const SYMBOL_TERM_WEIGHT = 3;

/**
 * Most distinctive terms per cluster by class-based TF-IDF (c-TF-IDF, as in BERTopic):
 * W(t,c) = tf(t,c) · log(1 + A / f(t)), with tf the cluster's L1-normalized term frequencies,
 * f(t) the term's frequency over all clusters and A the average number of terms per cluster.
 * A document contributes 1 + ln(count) per term (so one long file cannot speak for its cluster),
 * plus PATH_TERM_WEIGHT for each of its path terms and SYMBOL_TERM_WEIGHT for each term of its symbols.
 */
export function cTfIdf(docs: readonly LabelDoc[], k: number, top = 5): { term: string; score: number }[][] {
  const perCluster: Map<string, number>[] = Array.from({ length: k }, () => new Map());
  for (const d of docs) {
    const m = perCluster[d.cluster];
    for (const [t, c] of d.counts) m.set(t, (m.get(t) ?? 0) + 1 + Math.log(c));
    for (const t of d.extra ?? []) m.set(t, (m.get(t) ?? 0) + PATH_TERM_WEIGHT);
    for (const t of d.symbols ?? []) m.set(t, (m.get(t) ?? 0) + SYMBOL_TERM_WEIGHT);
  }
  const total = new Map<string, number>();
  let all = 0;
  const sizes = perCluster.map((m) => {
    let s = 0;
    for (const [t, w] of m) {
      s += w;
      total.set(t, (total.get(t) ?? 0) + w);
    }
    all += s;
    return s;
  });
  const avg = all / Math.max(1, k);
  return perCluster.map((m, c) => {
    const scored: { term: string; score: number }[] = [];
    for (const [t, w] of m) scored.push({ term: t, score: (w / (sizes[c] || 1)) * Math.log(1 + avg / total.get(t)!) });
    scored.sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : 1));
    const picked: { term: string; score: number }[] = [];
    for (const s of scored) {
      // Skip a term that is a plural or prefix variant of one already picked (matrix / matrices is one idea).
      if (picked.some((p) => similarTerm(p.term, s.term))) continue;
      picked.push({ term: s.term, score: Math.round(s.score * 1e4) / 1e4 });
      if (picked.length >= top) break;
    }
    return picked;
  });
}

function similarTerm(a: string, b: string): boolean {
  const stem = (w: string): string => w.replace(/(ies|es|s)$/, '');
  return stem(a) === stem(b) || (Math.min(a.length, b.length) >= 4 && (a.startsWith(b) || b.startsWith(a)));
}
