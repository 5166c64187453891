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
/**
 * Prose without an extension: a package's README, licence and metadata files (an sdist's PKG-INFO is its README with
 * a metadata header; a wheel's METADATA the same).
 */
const PROSE_NAME = /(?:^|\/)(?:README|LICEN[CS]E|COPYING|NOTICE|AUTHORS|CONTRIBUTORS|INSTALL|THANKS|PKG-INFO|METADATA)$/i;
const DOC_DIR = /(?:^|\/)(?:docs?|documentation)(?:\/)/;
const DOC_EXAMPLES = /(?:^|\/)(?:docs|documentation)\/|(?:^|\/)doc\/[^/]+\//;
const BENCH = /(?:^|\/)(?:bench(?:es|marks?)?)(?:\/)|(?:^|\/)[^/]*_bench\.\w+$|\.bench\.[jt]sx?$/;
const VENDOR = /(?:^|\/)(?:vendor(?:ed)?|third[_-]?party|external|single_include|compat|_compat|legacy)(?:\/)/;
const GENERATED = /(?:^|\/)(?:generated|gen|__generated__)(?:\/)|[._-](?:generated|pb|pb2|gen)\.\w+$|\.min\.[cm]?js$|\.bundle\.[cm]?js$/;
const CHANGELOG = /(?:^|\/)(?:CHANGE(?:LOG|S)|HISTORY|NEWS|RELEASE[_-]?NOTES)(?:\.\w+)?$/i;
const TYPE_STUB = /\.d\.[cm]?ts$|\.pyi$/;
/**
 * The repository's own housekeeping: CI workflows, issue and pull-request templates, editor, lint and dependency-bot
 * settings (a Debian upstream tarball or a git checkout has them; viper's `.github/ISSUE_TEMPLATE/bug_report.yaml` came
 * fifth for "decoding YAML configuration files").
 */
const META =
  /(?:^|\/)(?:\.github|\.gitlab|\.circleci|\.buildkite|\.azure-pipelines)\/|(?:^|\/)(?:\.gitlab-ci\.ya?ml|\.travis\.ya?ml|appveyor\.ya?ml|azure-pipelines\.ya?ml|Jenkinsfile|\.editorconfig|\.gitattributes|\.gitignore|\.pre-commit-config\.ya?ml|\.golangci\.ya?ml|codecov\.ya?ml|\.codecov\.ya?ml|renovate\.json5?|\.renovaterc(?:\.json)?|CODEOWNERS|\.mailmap)$/;
/**
 * Message catalogs: the same user-facing strings in one file per language (yargs's 23 `locales/*.json`, Rails'
 * `config/locales/en.yml`, gettext's `.po`, Apple's `.strings`). Data in a catalog format only: a locale folder of code
 * (zod's `v4/locales/*.ts`, which build the messages) is code.
 */
const LOCALE =
  /(?:^|\/)(?:locales?|i18n|l10n|translations?|lang|langs|languages)\/(?:[^/]+\/)*[^/]+\.(?:json|ya?ml|properties|toml|ini)$|\.(?:po|pot|xliff|xlf|ftl|arb|strings|stringsdict)$/;
/**
 * A TypeScript module of type declarations by name: `types.ts`, `http/types.ts`, `node-types.ts`, anything under `types/`
 * (vitest's `node/types/config.ts`, redux's `types/middleware.ts`). Not `.d.ts` (TYPE_STUB) and not other languages, where
 * a file named types holds code (pydantic's `types.py`).
 */
const TS_DECLARATIONS = /(?:^|\/)(?:types?\/[^/]+|(?:[^/]*[._-])?types?)\.[cm]?tsx?$/;
/** Re-export barrels and package metadata: little code of their own. */
const REEXPORT = /(?:^|\/)(?:__init__\.py|package-info\.java)$/;

export interface PathKinds {
  topics: ReadonlySet<PathTopic>;
  reexport: boolean;
  /** Prose (Markdown, reStructuredText, plain text). */
  prose: boolean;
  /** A TypeScript module of type declarations by its name (`types.ts`, `types/config.ts`); `.d.ts` files are topic `types`. */
  declarations: boolean;
}

const cache = new Map<string, PathKinds>();

/** Classifies a relative path (cached: the same files recur across queries). */
export function pathKinds(rel: string): PathKinds {
  let k = cache.get(rel);
  if (k) return k;
  const p = rel.replace(/\\/g, '/');
  const topics = new Set<PathTopic>();
  if (TEST_FILE.test(p) || TEST_DIR.test(p)) topics.add('test');
  const prose = DOC_FILE.test(p) || PROSE_NAME.test(p);
  // Code kept with the docs (libuv's docs/code/, aiohttp's docs/code/) is example code; a `doc/` folder of code alone
  // is a package (cobra's doc/ generates man pages).
  if (EXAMPLE_DIR.test(p) || (!prose && DOC_EXAMPLES.test(p))) topics.add('example');
  if (prose || DOC_DIR.test(p)) topics.add('doc');
  if (BENCH.test(p)) topics.add('bench');
  if (VENDOR.test(p)) topics.add('vendor');
  if (GENERATED.test(p)) topics.add('generated');
  if (CHANGELOG.test(p)) topics.add('changelog');
  if (META.test(p)) topics.add('meta');
  if (LOCALE.test(p)) topics.add('locale');
  const stub = TYPE_STUB.test(p);
  if (stub) topics.add('types');
  k = { topics, reexport: REEXPORT.test(p), prose, declarations: !stub && TS_DECLARATIONS.test(p) };
  if (cache.size > 50_000) cache.clear();
  cache.set(rel, k);
  return k;
}

/** The file name without folders and extensions, lower-case: `src/HTTPClient.test.ts` → `httpclient`. */
export function fileStem(rel: string): string {
  const base = rel.replace(/\\/g, '/').split('/').pop() ?? rel;
  return base.replace(/\..*$/, '').toLowerCase();
}

/** Operating systems a path may be written for (`win/udp.c`, `unix/linux-core.c`, `exec_windows.go`). */
export type Platform = 'windows' | 'darwin' | 'linux' | 'bsd' | 'unix' | 'aix' | 'sunos' | 'zos' | 'ibmi' | 'haiku' | 'qnx' | 'hurd';

/** Names for each platform in folder names and in the words of file names (`mac` and `nt` only as whole folders). */
const PLATFORM_NAMES: Record<string, Platform> = {
  windows: 'windows', win: 'windows', win32: 'windows', win64: 'windows', mingw: 'windows', msvc: 'windows', cygwin: 'windows',
  darwin: 'darwin', macos: 'darwin', osx: 'darwin',
  linux: 'linux',
  bsd: 'bsd', freebsd: 'bsd', openbsd: 'bsd', netbsd: 'bsd', dragonfly: 'bsd',
  unix: 'unix', posix: 'unix',
  aix: 'aix', sunos: 'sunos', solaris: 'sunos', illumos: 'sunos', os390: 'zos', zos: 'zos', ibmi: 'ibmi', haiku: 'haiku', qnx: 'qnx', hurd: 'hurd',
};
const PLATFORM_FOLDERS: Record<string, Platform> = { ...PLATFORM_NAMES, mac: 'darwin', nt: 'windows' };

/**
 * The platform a path is written for, the most specific first: its file name's words (`unix/linux-core.c` is Linux
 * code), then its folders from the deepest; undefined for portable code.
 */
export function platformOf(rel: string): Platform | undefined {
  const parts = rel.replace(/\\/g, '/').toLowerCase().split('/');
  for (const word of parts[parts.length - 1].replace(/\..*$/, '').split(/[-_]/)) if (PLATFORM_NAMES[word]) return PLATFORM_NAMES[word];
  for (const folder of parts.slice(0, -1).reverse()) if (PLATFORM_FOLDERS[folder]) return PLATFORM_FOLDERS[folder];
  return undefined;
}

/** The platforms whose code runs on `os` (a `process.platform` value): Linux runs Linux and Unix code, not Windows or BSD code. */
export function nativePlatforms(os: string): ReadonlySet<Platform> {
  switch (os) {
    case 'win32':
      return new Set(['windows']);
    case 'linux':
      return new Set(['linux', 'unix']);
    case 'darwin':
      return new Set(['darwin', 'bsd', 'unix']);
    case 'freebsd':
    case 'openbsd':
    case 'netbsd':
      return new Set(['bsd', 'unix']);
    case 'aix':
      return new Set(['aix', 'unix']);
    case 'sunos':
      return new Set(['sunos', 'unix']);
    default:
      return new Set(['unix']);
  }
}
