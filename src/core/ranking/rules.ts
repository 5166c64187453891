/**
 * The ranking stack's rules: small named functions, each with the one-line reason it exists. They re-score
 * the fused top candidates of a query (never the whole index). docs/model-eval.md has each rule's
 * measured effect (`kindred eval repos --ablate`); a rule that does not help is removed.
 */
import type { ChunkRecord } from '../index/store';
import { splitIdentifier } from '../index/tokenize';
import { fileStem, nativePlatforms, pathKinds, platformOf } from './paths';
import { lastName, type QueryIntent } from './query';

/** What the rules know of a chunk: its index record (lines 1-based, inclusive; equal hashes are identical chunks). */
export type ChunkInfo = ChunkRecord;

export interface Candidate extends ChunkInfo {
  score: number;
  /** A name the query names that this chunk defines besides its own symbol (set by the definition rule). */
  holds?: string;
  /** The product of the factors the priors lowered it by (see lower): file coherence gives its file the same. */
  prior?: number;
}

/** A prior's factor on a candidate: its score, and what file coherence will add for its file (a test's evidence is a test's). */
function lower(c: Candidate, factor: number): void {
  c.score *= factor;
  c.prior = (c.prior ?? 1) * factor;
}

/** A chunk that defines a name: as its symbol, or as one of the names it holds besides (`grouped`). */
export type DefinitionInfo = ChunkInfo & { grouped?: boolean };

/** Index look-ups the rules may make (cheap: a few per query). */
export interface ChunkSource {
  /** Chunks of one file, in line order. */
  fileChunks(path: string): ChunkInfo[];
  /** Chunks that define `name` (their symbol's last name is `name`, or they hold it besides: a grouped function, a constant), at most `limit`. */
  definitions(name: string, limit: number): DefinitionInfo[];
  /** Is this file in the index? */
  hasFile(path: string): boolean;
  /** The chunk's embedding (normalized), if it has one: near-duplicate detection compares a few. */
  vector?(id: number): Float32Array | undefined;
}

export interface RuleContext {
  intent: QueryIntent;
  source: ChunkSource;
  /** The best fused score before any rule (rules add multiples of it, so they work on any score scale). */
  maxScore: number;
  /** The operating system searched from (`process.platform` unless a test pins it). */
  platform?: string;
}

export interface Rule {
  name: string;
  why: string;
  apply(candidates: Candidate[], ctx: RuleContext): Candidate[];
}

/** How much each rule moves a score, in one place for tuning (`kindred eval repos`). */
export const WEIGHTS = {
  /** Added (× the best score) to a chunk defining the symbol a symbol query names. */
  definition: 3,
  /** The same for a symbol named inside a natural-language query: small, as the symbol may be incidental ("how the StaticModel encodes text" wants the encoding code, not the class header). */
  embeddedDefinition: 0.3,
  /** Extra factor when the defining file is named after the symbol (`Router` in router.py). */
  definitionFileMatch: 1.5,
  /** Added (× the best score × share of query words matched) when the file's name matches query words. */
  fileName: 0.5,
  /**
   * Multipliers for paths the query does not ask about. Tests and examples were 0.3 and 0.35 until the twelfth
   * session; on whole repositories (the only sets with tests and examples beside the code) 0.2 raised 13 questions
   * and lowered one (gin "JSON request binding and validation" 0.85 → 0.83).
   */
  test: 0.2,
  example: 0.2,
  vendor: 0.3,
  generated: 0.3,
  bench: 0.5,
  changelog: 0.3,
  /** CI workflows, issue templates, editor and lint settings (`.github/`, `.editorconfig`): the changelog's weight, not tuned. */
  meta: 0.3,
  /** A message catalog (`locales/fr.json`, `.po`): the same strings once per language (the changelog's weight, not tuned). */
  locale: 0.3,
  types: 0.7,
  /** A TypeScript types module (`types.ts`, `types/`) for a question about how code works: like a `.d.ts` file (not tuned). */
  declarations: 0.7,
  reexport: 0.6,
  /** A file written for another operating system than this machine's (`win/udp.c` on Linux), for a question that names none. */
  foreignPlatform: 0.75,
  /** A file under a version folder (v1/, v2/) whose namesake exists outside it: an old copy kept for compatibility. */
  shadowCopy: 0.5,
  /**
   * Prose (Markdown, ...) for a question about how code works. 0.45 until the twelfth session; measured on whole
   * repositories (sdists and tarballs with their docs and tests: the labelled sets index source folders only, where no
   * prose competes): 0.45 → 0.3 raised 11 questions of whole repositories 1 and lowered one of whole repositories 2
   * (aiohttp, by way of file coherence's lead).
   */
  proseForCode: 0.3,
  /** Added (× the best score) to each file's best chunk, scaled by the file's share of candidate score, when one chunk clearly leads. */
  coherence: 0.2,
  /** The same when the top candidates score alike (a topic rather than one function): files rank by their chunks' sum. */
  coherenceBroad: 1.5,
  /** Lead of the best candidate over the fifth (relative) from which a query counts as having one clear answer. */
  coherenceGap: 0.35,
  /** The candidates that count as a file's evidence: the best this many (a huge file gathers weak matches by being huge). */
  coherenceDepth: 70,
  /** Each further chunk of a file already in the results is multiplied by this, once per chunk. */
  saturation: 0.5,
  /**
   * The same for a question about how something works ("how are routes matched"), whose answer is usually spread
   * over a few files: a file's second chunk comes after the other files that match. Fifteenth session
   * (docs/model-eval.md): 0.5 → 0.2 raised 13 questions of the eight labelled sets and lowered none (0.3 missed the
   * development set's two; 0.1 and 0 ranked it as 0.2 did). A doc-comment-like query ("Set the cookie") keeps 0.5,
   * so a file's second and third functions stay reachable: both repositories' pairs are unchanged.
   */
  saturationHow: 0.2,
  /** Cosine similarity above which two chunks of the same name in files of the same name are copies (v3/ and v4/). */
  nearDuplicate: 0.95,
};

function normName(s: string): string {
  return s.replace(/[_$-]/g, '').toLowerCase();
}

/** Does `symbol` carry the qualification a qualified query (`Router.handle`, `Mod::f`) names? Any symbol does for an unqualified one. */
function qualifiedAs(symbol: string, name: string): boolean {
  return !/[.:#>\\]/.test(name) || normName(symbol).endsWith(normName(name.replace(/::|->|#|\\/g, '.')));
}

/** Does the chunk define `name`: its symbol's last name is `name`, or it opens the container `name` (first chunk of `name.*` in the file)? */
function defines(c: ChunkInfo, name: string, source: ChunkSource): boolean {
  if (!c.symbol) return false;
  const want = bareName(lastName(name));
  // A constructor (`ObjectMapper.ObjectMapper`, C++'s `Foo::Foo`) is a member of the type, not its definition (but its
  // chunk may hold the type's header: see the container case below).
  const names = c.symbol.replace(/\(\)$/, '').split(/::|\\|->|\.|#/);
  const isConstructor = names.length > 1 && bareName(names[names.length - 2]) === want && bareName(names[names.length - 1]) === want;
  if (!isConstructor && bareName(lastName(c.symbol)) === want) {
    // A qualified query (`Router.handle`) wants that qualification.
    if (!qualifiedAs(c.symbol, name)) return false;
    // A definition cut into several chunks (a class's attributes, a group of small methods, windows of a long
    // function) is defined by its first one, which holds the header.
    const symbol = c.symbol;
    const first = source.fileChunks(c.path).find((k) => k.symbol === symbol || k.symbol?.startsWith(`${symbol}.`));
    return !first || first.id === c.id;
  }
  // A class cut into Class.method chunks: the chunk holding the class header is the first `Class.` chunk of the file.
  const segs = c.symbol.split('.');
  const i = segs.findIndex((seg) => bareName(seg) === want);
  if (i < 0 || i === segs.length - 1) return false;
  const container = segs.slice(0, i + 1).join('.');
  const first = source.fileChunks(c.path).find((k) => k.symbol === container || k.symbol?.startsWith(`${container}.`));
  return first?.id === c.id;
}

/** A name without the `$` some libraries mark their core definitions with (`$ZodType` defines `ZodType`). */
function bareName(name: string): string {
  return name.startsWith('$') && name.length > 1 ? name.slice(1) : name;
}

function stemMatches(stem: string, name: string): boolean {
  const s = stem.replace(/[_-]/g, '');
  const n = normName(name);
  return s === n || s.replace(/s$/, '') === n || s === n.replace(/s$/, '');
}

const definitionBoost: Rule = {
  name: 'definition',
  why: 'A query naming a symbol wants where it is defined, not its uses or impls.',
  apply(cands, ctx) {
    const { symbols, kind } = ctx.intent;
    if (symbols.length === 0) return cands;
    const unit = ctx.maxScore * (kind === 'symbol' ? WEIGHTS.definition : WEIGHTS.embeddedDefinition);
    const byId = new Map(cands.map((c) => [c.id, c]));
    // Chunks that define a named symbol besides their own (grouped functions, constants), by name.
    const holders = new Map<string, Set<number>>();
    for (const name of symbols) {
      // Definitions that retrieval missed join the candidates (a symbol query must find its definition).
      const last = lastName(name);
      const found = [...ctx.source.definitions(last, 20), ...(last.startsWith('$') ? [] : ctx.source.definitions(`$${last}`, 20))];
      holders.set(name, new Set(found.filter((d) => d.grouped && qualifiedAs(`${d.symbol ?? ''}.${lastName(name)}`, name)).map((d) => d.id)));
      for (const d of found) {
        if (!byId.has(d.id)) {
          const c = { ...d, score: 0 };
          byId.set(d.id, c);
          cands.push(c);
        }
      }
    }
    // A file's chunks are looked up once per query, however many of its chunks are candidates.
    const source: ChunkSource = { ...ctx.source, fileChunks: perPath((p) => ctx.source.fileChunks(p)) };
    for (const c of cands) {
      let hit = symbols.find((name) => defines(c, name, source));
      if (!hit) {
        hit = symbols.find((name) => holders.get(name)?.has(c.id));
        if (hit) c.holds = lastName(hit);
      }
      if (hit) c.score += unit * (stemMatches(fileStem(c.path), lastName(hit)) ? WEIGHTS.definitionFileMatch : 1);
    }
    return cands;
  },
};

/** `f` computed once per path within one query (candidates share files). */
function perPath<T>(f: (path: string) => T): (path: string) => T {
  const memo = new Map<string, T>();
  return (p) => {
    if (!memo.has(p)) memo.set(p, f(p));
    return memo.get(p) as T;
  };
}

/**
 * Two lower-case words are forms of one word when they share a prefix of at least 4 letters covering
 * three quarters of the shorter: streaming ~ streams, serialize ~ serializers, config ~ configuration.
 */
export function sameWord(a: string, b: string): boolean {
  if (a === b) return true;
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p < n && a[p] === b[p]) p++;
  return p >= 4 && p >= 0.75 * n;
}

/**
 * Short forms code uses for words a question spells out, by the word's stem (`serde/de/impls.rs` for "Deserialize
 * implementations", `cfg/` for "configuration"). Not the forms that name whole trees (src, lib, pkg).
 */
const ABBREVIATIONS: readonly [stem: string, short: readonly string[]][] = [
  ['applica', ['app']],
  ['argument', ['arg', 'args']],
  ['attribute', ['attr', 'attrs']],
  ['authoriz', ['auth', 'authz']],
  ['buffer', ['buf']],
  ['command', ['cmd']],
  ['configur', ['cfg', 'conf']],
  ['connection', ['conn']],
  ['context', ['ctx']],
  ['database', ['db']],
  ['deserializ', ['de']],
  ['director', ['dir', 'dirs']],
  ['document', ['doc', 'docs']],
  ['environment', ['env']],
  ['error', ['err']],
  ['expression', ['expr']],
  ['filesystem', ['fs']],
  ['format', ['fmt']],
  ['function', ['fn', 'func']],
  ['generat', ['gen']],
  ['implement', ['impl', 'impls']],
  ['initializ', ['init']],
  ['manager', ['mgr']],
  ['memory', ['mem']],
  ['message', ['msg']],
  ['number', ['num']],
  ['operation', ['op', 'ops']],
  ['option', ['opt', 'opts']],
  ['parameter', ['param', 'params']],
  ['pointer', ['ptr']],
  ['reference', ['ref']],
  ['request', ['req']],
  ['response', ['res', 'resp']],
  ['serializ', ['ser']],
  ['specification', ['spec']],
  ['statistic', ['stats']],
  ['string', ['str']],
  ['synchroniz', ['sync']],
  ['temporar', ['tmp', 'temp']],
  ['value', ['val']],
  ['variable', ['var', 'vars']],
];

/** Is `word` (from a path) the query word `keyword`, one of its forms (sameWord) or its short form (ABBREVIATIONS)? */
function namesWord(keyword: string, word: string): boolean {
  if (word.length > 2 && sameWord(keyword, word)) return true;
  return ABBREVIATIONS.some(([stem, short]) => keyword.startsWith(stem) && short.includes(word));
}

/** Query words matched by a file's name or its folder's, allowing shared prefixes of 4+ letters ("dependency" ~ "dependencies") and short forms. */
function fileNameOverlap(keywords: readonly string[], rel: string): number {
  const parts = rel.replace(/\\/g, '/').split('/');
  const words = new Set([...splitIdentifier(fileStem(rel)), ...(parts.length > 1 ? splitIdentifier(parts[parts.length - 2]) : [])].map((w) => w.toLowerCase()));
  let n = 0;
  for (const k of keywords) {
    for (const w of words) {
      if (namesWord(k, w)) {
        n++;
        break;
      }
    }
  }
  return n;
}

const fileNameBoost: Rule = {
  name: 'file-name',
  why: 'A file named after what the question is about (retry.py for "retry policy") usually holds the answer.',
  apply(cands, ctx) {
    const { keywords, kind } = ctx.intent;
    if (keywords.length === 0 || (kind !== 'code-question' && kind !== 'usage')) return cands;
    const overlap = perPath((p) => fileNameOverlap(keywords, p));
    for (const c of cands) {
      const n = overlap(c.path);
      if (n > 0) c.score += ctx.maxScore * WEIGHTS.fileName * (n / keywords.length);
    }
    return cands;
  },
};

const pathPrior: Rule = {
  name: 'path-prior',
  why: 'Tests, examples, vendored, generated and declaration files repeat the code they are about, and message catalogs its strings once per language; lower them unless asked for.',
  apply(cands, ctx) {
    const asked = ctx.intent.mentions;
    for (const c of cands) {
      const k = pathKinds(c.path);
      let f = 1;
      if (k.topics.has('test') && !asked.has('test')) f *= WEIGHTS.test;
      if (k.topics.has('example') && !asked.has('example') && !(k.topics.has('doc') && asked.has('doc'))) f *= WEIGHTS.example;
      if (k.topics.has('vendor') && !asked.has('vendor')) f *= WEIGHTS.vendor;
      if ((k.topics.has('generated') || c.generated) && !asked.has('generated')) f *= WEIGHTS.generated;
      if (k.topics.has('bench') && !asked.has('bench')) f *= WEIGHTS.bench;
      if (k.topics.has('changelog') && !asked.has('changelog')) f *= WEIGHTS.changelog;
      if (k.topics.has('meta') && !asked.has('meta')) f *= WEIGHTS.meta;
      if (k.topics.has('locale') && !asked.has('locale')) f *= WEIGHTS.locale;
      if (k.topics.has('types') && !asked.has('types')) f *= WEIGHTS.types;
      if (k.reexport) f *= WEIGHTS.reexport;
      if (f !== 1) lower(c, f);
    }
    return cands;
  },
};

/** Words that name an operating system in a question (the rule below then leaves platforms alone). */
const PLATFORM_QUESTION = /\b(?:windows|win32|win64|winapi|msvc|mingw|cygwin|mac|macos|osx|darwin|apple|ios|linux|android|unix|posix|bsd|freebsd|openbsd|netbsd|aix|sunos|solaris|illumos|os390|z\/os|ibmi|haiku|qnx|hurd|platforms?|cross-platform|portable)\b/i;

const platformPrior: Rule = {
  name: 'platform',
  why: 'Of code written once per operating system (win/udp.c, unix/udp.c), the user means the one for the system they run, unless they name one.',
  apply(cands, ctx) {
    if (PLATFORM_QUESTION.test(ctx.intent.text)) return cands;
    const native = nativePlatforms(ctx.platform ?? process.platform);
    for (const c of cands) {
      const p = platformOf(c.path);
      if (p && !native.has(p)) lower(c, WEIGHTS.foreignPlatform);
    }
    return cands;
  },
};

/**
 * The version folder a path lies under, or undefined: `pkg/v1/fields.py` → parent `pkg/`, version 1, and
 * `unversioned` `pkg/fields.py` (the path without it).
 */
function versionFolder(p: string): { parent: string; version: number; unversioned: string } | undefined {
  const m = /(^|\/)v(\d+)\//.exec(p);
  if (!m) return undefined;
  const parent = p.slice(0, m.index + m[1].length);
  return { parent, version: Number(m[2]), unversioned: parent + p.slice(m.index + m[0].length) };
}

const shadowCopy: Rule = {
  name: 'shadow-copy',
  why: 'A file in a version folder (v1/) that also exists outside it, or beside a newer version folder (v3/ next to v4/), is the old copy of the code the query is about.',
  apply(cands, ctx) {
    if (ctx.intent.mentions.has('vendor') || /\bv\d+\b/i.test(ctx.intent.text)) return cands;
    // The newest version folder under each parent, among the candidates (old and new copies both match a query).
    const newest = new Map<string, number>();
    for (const c of cands) {
      const v = versionFolder(c.path);
      if (v) newest.set(v.parent, Math.max(newest.get(v.parent) ?? 0, v.version));
    }
    const isShadow = perPath((p) => {
      const v = versionFolder(p);
      if (!v) return false;
      return v.version < (newest.get(v.parent) ?? 0) || ctx.source.hasFile(v.unversioned);
    });
    for (const c of cands) if (isShadow(c.path)) lower(c, WEIGHTS.shadowCopy);
    return cands;
  },
};

/** A question about types or interfaces, or about the options, props or fields something takes, wants their declarations. */
const TYPES_QUESTION = /\b(?:types?|typings?|interfaces?|typed|typescript|generics?|options?|props|propert(?:y|ies)|fields?|signatures?|shapes?)\b/i;

/**
 * Does a file declare shapes only: of its named chunks, at most one in ten is named like code (a method `Class.parse`,
 * a function `handleResult`: a last name starting lower-case or with `_`)? zod's `v3/types.ts` holds its classes.
 */
function declaresOnly(chunks: readonly ChunkInfo[]): boolean {
  const named = chunks.filter((c) => c.symbol);
  if (named.length === 0) return false;
  const code = named.filter((c) => /^[a-z_]/.test(lastName(c.symbol as string))).length;
  return code <= 0.1 * named.length;
}

const declarations: Rule = {
  name: 'declarations',
  why: 'A TypeScript types module (types.ts, types/config.ts) declares the shapes of what a question about how code works wants the implementation of.',
  apply(cands, ctx) {
    const { kind, mentions, text } = ctx.intent;
    if (kind !== 'code-question' || mentions.has('types') || TYPES_QUESTION.test(text)) return cands;
    const isDeclarations = perPath((p) => pathKinds(p).declarations && declaresOnly(ctx.source.fileChunks(p)));
    for (const c of cands) if (isDeclarations(c.path)) lower(c, WEIGHTS.declarations);
    return cands;
  },
};

const intentPrior: Rule = {
  name: 'intent-prior',
  why: 'A question about how code works wants code; "how do I install/configure" may want the docs (both stay searchable).',
  apply(cands, ctx) {
    const { kind, mentions } = ctx.intent;
    if (kind === 'usage' || kind === 'quoted' || kind === 'path' || mentions.has('doc')) return cands;
    for (const c of cands) if (pathKinds(c.path).prose) lower(c, WEIGHTS.proseForCode);
    return cands;
  },
};

const pathQuery: Rule = {
  name: 'path-query',
  why: 'A query that is a path or a file name wants that file.',
  apply(cands, ctx) {
    if (ctx.intent.kind !== 'path') return cands;
    const want = ctx.intent.text.replace(/\\/g, '/').replace(/^\.?\//, '').toLowerCase();
    for (const c of cands) {
      const p = c.path.toLowerCase();
      if (p === want || p.endsWith(`/${want}`)) c.score += ctx.maxScore * WEIGHTS.definition;
    }
    return cands;
  },
};

/**
 * How far the best candidate leads the fifth, relative to its score: near 0 when many chunks answer alike
 * (a topic: "how middleware runs"), large when one chunk stands out (a specific behaviour or name).
 */
export function leadOf(cands: readonly Candidate[]): number {
  const top = cands.map((c) => c.score).sort((a, b) => b - a);
  return top.length >= 5 && top[0] > 0 ? (top[0] - top[4]) / top[0] : 1;
}

const fileCoherence: Rule = {
  name: 'file-coherence',
  why: 'A file with several strong chunks is more likely the answer than one lucky chunk, the more so when no chunk stands out (a topic, not one function); a file the priors lowered gets its share lowered alike.',
  apply(cands, ctx) {
    // Only strong candidates count as evidence: the best coherenceDepth of them.
    const scores = cands.map((c) => c.score).sort((a, b) => b - a);
    const floor = scores[Math.min(WEIGHTS.coherenceDepth, scores.length) - 1] ?? 0;
    const sum = new Map<string, number>();
    const best = new Map<string, Candidate>();
    for (const c of cands) {
      if (c.score >= floor) sum.set(c.path, (sum.get(c.path) ?? 0) + Math.max(0, c.score));
      const b = best.get(c.path);
      if (!b || c.score > b.score) best.set(c.path, c);
    }
    const top = Math.max(0, ...sum.values());
    if (top <= 0) return cands;
    const w = WEIGHTS.coherence + (WEIGHTS.coherenceBroad - WEIGHTS.coherence) * (1 - Math.min(1, leadOf(cands) / WEIGHTS.coherenceGap));
    // The boost is lowered by the file's priors as its chunks were (every prior is per path): without that, a long doc or
    // test file's many lowered chunks summed back much of what the priors took (docs/model-eval.md, thirteenth session).
    for (const [p, c] of best) c.score += ctx.maxScore * w * ((sum.get(p) ?? 0) / top) * (c.prior ?? 1);
    return cands;
  },
};

/** The re-scoring rules, in order. Selection (duplicates, saturation) follows in stack.ts. */
export const RULES: readonly Rule[] = [definitionBoost, fileNameBoost, pathPrior, declarations, platformPrior, shadowCopy, intentPrior, pathQuery, fileCoherence];
