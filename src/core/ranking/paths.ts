/**
 * What a file's path says about it: tests, examples, docs, vendored or generated code. The ranking's
 * path priors (rules.ts) lower these unless the query asks for them.
 */
import type { PathTopic } from './query';

const TEST_FILE =
  /(?:^|\/)(?:test_[^/]*\.py|[^/]*_test\.(?:py|go|rb|c|cc|cpp|dart|lua|exs?)|[^/]*Tests?\.(?:java|kt|cs|swift|php|scala)|[^/]*(?:Spec|Suite)\.(?:kt|swift|scala)|[^/]*_spec\.(?:rb|lua)|[^/]*\.(?:test|spec)\.[cm]?[jt]sx?|test_[^/]*\.(?:c|cc|cpp|dart|lua)|conftest\.py|test_helpers?[^/]*\.\w+)$/;
const TEST_DIR = /(?:^|\/)(?:tests?|__tests__|__mocks__|spec|specs|testing|test_suite|testdata|fixtures?)(?:\/)/;
const EXAMPLE_DIR = /(?:^|\/)(?:_?examples?|samples?|demos?|docs?_src|playground)(?:\/)/;
const DOC_FILE = /\.(?:md|mdx|markdown|rst|adoc|asciidoc|txt)$/i;
const DOC_DIR = /(?:^|\/)(?:docs?|documentation)(?:\/)/;
const BENCH = /(?:^|\/)(?:bench(?:es|marks?)?)(?:\/)|(?:^|\/)[^/]*_bench\.\w+$|\.bench\.[jt]sx?$/;
const VENDOR = /(?:^|\/)(?:vendor(?:ed)?|third[_-]?party|external|single_include|compat|_compat|legacy)(?:\/)/;
const GENERATED = /(?:^|\/)(?:generated|gen|__generated__)(?:\/)|[._-](?:generated|pb|pb2|gen)\.\w+$|\.min\.[cm]?js$|\.bundle\.[cm]?js$/;
const CHANGELOG = /(?:^|\/)(?:CHANGE(?:LOG|S)|HISTORY|NEWS|RELEASE[_-]?NOTES)(?:\.\w+)?$/i;
const TYPE_STUB = /\.d\.[cm]?ts$|\.pyi$/;
/** Re-export barrels and package metadata: little code of their own. */
const REEXPORT = /(?:^|\/)(?:__init__\.py|package-info\.java)$/;

export interface PathKinds {
  topics: ReadonlySet<PathTopic>;
  reexport: boolean;
  /** Prose (Markdown, reStructuredText, plain text). */
  prose: boolean;
}

const cache = new Map<string, PathKinds>();

/** Classifies a relative path (cached: the same files recur across queries). */
export function pathKinds(rel: string): PathKinds {
  let k = cache.get(rel);
  if (k) return k;
  const p = rel.replace(/\\/g, '/');
  const topics = new Set<PathTopic>();
  if (TEST_FILE.test(p) || TEST_DIR.test(p)) topics.add('test');
  if (EXAMPLE_DIR.test(p)) topics.add('example');
  const prose = DOC_FILE.test(p);
  if (prose || DOC_DIR.test(p)) topics.add('doc');
  if (BENCH.test(p)) topics.add('bench');
  if (VENDOR.test(p)) topics.add('vendor');
  if (GENERATED.test(p)) topics.add('generated');
  if (CHANGELOG.test(p)) topics.add('changelog');
  if (TYPE_STUB.test(p)) topics.add('types');
  k = { topics, reexport: REEXPORT.test(p), prose };
  if (cache.size > 50_000) cache.clear();
  cache.set(rel, k);
  return k;
}

/** The file name without folders and extensions, lower-case: `src/HTTPClient.test.ts` → `httpclient`. */
export function fileStem(rel: string): string {
  const base = rel.replace(/\\/g, '/').split('/').pop() ?? rel;
  return base.replace(/\..*$/, '').toLowerCase();
}
