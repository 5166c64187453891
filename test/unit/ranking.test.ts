/**
 * The ranking stack's rules, each pinned on a small fixture (src/core/ranking): what the rule promises,
 * checked against the same candidates with the rule left out, so each test fails if its rule stops working.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { classifyQuery } from '../../src/core/ranking/query';
import { pathKinds, platformOf } from '../../src/core/ranking/paths';
import { WEIGHTS, type Candidate, type ChunkInfo, type ChunkSource } from '../../src/core/ranking/rules';
import { applyStack } from '../../src/core/ranking/stack';

let nextId = 1;
function chunk(path: string, startLine: number, endLine: number, symbol: string | undefined, score: number, hash?: string): Candidate {
  const id = nextId++;
  return { id, path, startLine, endLine, ...(symbol ? { symbol } : {}), hash: hash ?? `h${id}`, score };
}

function sourceOf(all: readonly ChunkInfo[]): ChunkSource {
  return {
    fileChunks: (p) => all.filter((c) => c.path === p).sort((a, b) => a.startLine - b.startLine),
    definitions: (name, limit) => all.filter((c) => c.symbol && c.symbol.split(/[.:]/).pop() === name).slice(0, limit),
    hasFile: (p) => all.some((c) => c.path === p),
  };
}

function ranked(query: string, cands: Candidate[], all: readonly ChunkInfo[] = cands, disabled: string[] = [], k = 10): Candidate[] {
  const byId = new Map(all.map((c) => [c.id, c]));
  return applyStack(query, cands, sourceOf(all), { k, disabled: new Set(disabled) }).map((r) => byId.get(r.id) as Candidate);
}

test('query kinds: identifiers, paths, quoted strings, snippets, usage and code questions', () => {
  assert.equal(classifyQuery('HTTPAdapter').kind, 'symbol');
  assert.equal(classifyQuery('field_validator').kind, 'symbol');
  assert.equal(classifyQuery('Sinatra::Base').kind, 'symbol');
  assert.equal(classifyQuery('res.cookie').kind, 'symbol');
  for (const q of ['get_opts!', 'Directories\'', "foldl_'", 'isEmpty?']) assert.deepEqual(classifyQuery(q).symbols, [q]); // Elixir/Ruby `!` `?`, Haskell primes
  assert.equal(classifyQuery('what?').kind, 'code-question');
  assert.deepEqual([classifyQuery('integrate').kind, classifyQuery('integrate').symbols], ['code-question', ['integrate']]); // a name or a topic
  for (const q of ['g', 'z', 'db']) assert.deepEqual([classifyQuery(q).kind, classifyQuery(q).symbols], ['symbol', [q]]); // too short for a topic
  assert.equal(classifyQuery('src/utils/retry.ts').kind, 'path');
  assert.equal(classifyQuery('response.js').kind, 'path');
  assert.equal(classifyQuery('"connection reset"').kind, 'quoted');
  assert.equal(classifyQuery('if (err) return next(err);').kind, 'snippet');
  assert.equal(classifyQuery('how do I install and configure the server').kind, 'usage');
  assert.equal(classifyQuery('where are cookies signed').kind, 'code-question');
  assert.deepEqual(classifyQuery('how extractors implement FromRequest').symbols, ['FromRequest']);
  assert.ok(classifyQuery('how are unit tests run').mentions.has('test'));
});

test('path kinds: tests, examples, docs, vendored, generated and declaration files across languages', () => {
  for (const p of ['tests/test_app.py', 'src/app_test.go', 'src/FooTest.java', 'lib/foo.spec.ts', 'spec/foo_spec.rb', 'test_suite/tests/de.rs', 'a/__tests__/x.js']) {
    assert.ok(pathKinds(p).topics.has('test'), p);
  }
  for (const p of ['src/app.py', 'src/contest.ts', 'lib/attestation.go', 'src/testing_utils_impl.rs', 'src/integrations/mock/timers.ts']) {
    assert.ok(!pathKinds(p).topics.has('test'), p); // a mocking library's mock/ folder is its source
  }
  assert.ok(pathKinds('src/__mocks__/fs.js').topics.has('test'));
  assert.ok(pathKinds('examples/basic/main.go').topics.has('example'));
  assert.ok(pathKinds('docs/extract.md').prose);
  // A package's README, licence and metadata without an extension are prose too (an sdist's PKG-INFO is its README).
  for (const p of ['PKG-INFO', 'LICENSE', 'pkg/COPYING', 'README', 'x.dist-info/METADATA']) assert.ok(pathKinds(p).prose, p);
  for (const p of ['Makefile', 'src/readme.py', 'lib/license.js', 'metadata/mod.rs']) assert.ok(!pathKinds(p).prose, p);
  assert.ok(pathKinds('vendor/lib/x.go').topics.has('vendor'));
  assert.ok(pathKinds('dist/app.min.js').topics.has('generated'));
  assert.ok(pathKinds('types/index.d.ts').topics.has('types'));
  assert.ok(pathKinds('CHANGELOG.md').topics.has('changelog'));
  // The repository's housekeeping: CI workflows, issue templates, editor and lint settings.
  for (const p of ['.github/ISSUE_TEMPLATE/bug_report.yaml', '.github/workflows/ci.yml', '.editorconfig', 'sub/.gitlab-ci.yml', '.golangci.yml', 'CODEOWNERS']) assert.ok(pathKinds(p).topics.has('meta'), p);
  for (const p of ['config.yml', 'src/github/client.ts', 'internal/encoding/yaml/codec.go', 'workflows/engine.py']) assert.ok(!pathKinds(p).topics.has('meta'), p);
  // Message catalogs: one file of the same strings per language.
  for (const p of ['locales/fr.json', 'config/locales/en.yml', 'src/i18n/de/messages.json', 'po/fr.po', 'ios/en.lproj/Localizable.strings']) assert.ok(pathKinds(p).topics.has('locale'), p);
  for (const p of ['src/v4/locales/fr.ts', 'lang/en/validation.php', 'src/locale.ts', 'package.json']) assert.ok(!pathKinds(p).topics.has('locale'), p);
});

test('path prior: message catalogs rank below the code that uses their strings unless the question is about translations', () => {
  // yargs: "validating required arguments" had eight of its ten results in locales/*.json.
  const catalogs = ['en', 'fr', 'hu', 'nl'].map((l, i) => chunk(`locales/${l}.json`, 17, 39, undefined, 1.0 - i * 0.01));
  const code = chunk('lib/validation.ts', 486, 500, 'validation.requiredArguments', 0.8);
  const all = [...catalogs, code];
  assert.equal(ranked('validating required arguments and unknown options', all, undefined, ['file-coherence'])[0].id, code.id);
  assert.equal(ranked('validating required arguments and unknown options', all, undefined, ['file-coherence', 'path-prior'])[0].path, 'locales/en.json');
  assert.equal(ranked('translations of the validation messages', all, undefined, ['file-coherence'])[0].path, 'locales/en.json');
});

test('path prior: a file whose header says it is generated ranks below its source unless the query asks for generated code', () => {
  // aiohttp's sdist: Cython's C for _websocket/mask.pyx, whose name does not say it is generated.
  const c = { ...chunk('aiohttp/_websocket/mask.c', 280, 300, '__pyx_f_mask', 1.0), generated: true };
  const pyx = chunk('aiohttp/_websocket/mask.pyx', 1, 40, '_websocket_mask_cython', 0.7);
  assert.equal(ranked('how websocket frames are masked', [c, pyx], undefined, ['file-name'])[0].id, pyx.id);
  assert.equal(ranked('how websocket frames are masked', [c, pyx], undefined, ['file-name', 'path-prior'])[0].id, c.id);
  assert.equal(ranked('the generated C for websocket masking', [c, pyx], undefined, ['file-name'])[0].id, c.id);
});

test('path prior: CI and issue templates rank below the code unless the question is about CI', () => {
  const template = chunk('.github/ISSUE_TEMPLATE/bug_report.yaml', 22, 67, undefined, 1.0);
  const codec = chunk('internal/encoding/yaml/codec.go', 1, 14, 'Codec.Decode', 0.6);
  assert.equal(ranked('decoding YAML configuration files', [template, codec], undefined, ['file-name'])[0].id, codec.id);
  const workflow = chunk('.github/workflows/ci.yml', 1, 40, undefined, 1.0);
  assert.equal(ranked('which Go versions does the CI workflow test', [workflow, codec], undefined, ['file-name'])[0].id, workflow.id);
});

test('definition: for a symbol query the chunk that defines it outranks a call site that scores higher', () => {
  const call = chunk('src/routes.py', 10, 30, 'handle_login', 1.0);
  const def = chunk('src/adapters.py', 40, 80, 'HTTPAdapter', 0.6);
  const other = chunk('src/client.py', 1, 20, 'Client.send', 0.8);
  assert.equal(ranked('HTTPAdapter', [call, other, def])[0].id, def.id);
  assert.notEqual(ranked('HTTPAdapter', [call, other, def], undefined, ['definition'])[0].id, def.id);
});

test('definition: a one-word lower-case query gives the chunk defining that name a small lead over a use that scores alike', () => {
  const use = chunk('XMonad/Operations.hs', 660, 680, 'windows', 1.0);
  const def = chunk('XMonad/StackSet.hs', 309, 318, 'integrate', 0.9);
  assert.equal(ranked('integrate', [use, def])[0].id, def.id);
  assert.equal(ranked('integrate', [use, def], undefined, ['definition'])[0].id, use.id);
});

test('definition: a one-letter name (flask\'s `g`) finds the chunk that defines it among others, over chunks that merely use it', () => {
  const use1 = chunk('src/flask/helpers.py', 273, 293, 'abort', 1.0);
  const use2 = chunk('src/flask/cli.py', 429, 437, 'AppGroup.group', 0.9);
  const globals = chunk('src/flask/globals.py', 28, 48, undefined, 0);
  const all = [use1, use2, globals];
  const source: ChunkSource = { ...sourceOf(all), definitions: (name) => (name === 'g' ? [{ ...globals, grouped: true }] : []) };
  const top = (disabled: string[] = []): number => applyStack('g', [use1, use2], source, { k: 10, disabled: new Set(disabled) })[0].id;
  assert.equal(top(), globals.id);
  assert.equal(top(['definition']), use1.id);
});

test('definition: a definition retrieval missed joins the results for a symbol query', () => {
  const use1 = chunk('src/a.rs', 1, 10, 'run', 1.0);
  const use2 = chunk('src/b.rs', 1, 10, 'start', 0.9);
  const def = chunk('src/extract.rs', 5, 40, 'FromRequest', 0);
  const got = ranked('FromRequest', [use1, use2], [use1, use2, def]);
  assert.equal(got[0].id, def.id);
});

test('definition: a chunk holding a small definition among others (grouped one-liners) defines it for a symbol query', () => {
  const use = chunk('lib/config.ex', 120, 140, 'Config.config', 1.0);
  const near = chunk('lib/system.ex', 10, 30, 'System.get_env', 0.9);
  const group = chunk('lib/config.ex', 94, 108, 'Config', 0.2);
  const all = [use, near, group];
  const source: ChunkSource = { ...sourceOf(all), definitions: (name) => (name === 'get_opts!' ? [{ ...group, grouped: true }] : []) };
  const top = (query: string, disabled: string[] = []): number => {
    const byId = new Map(all.map((c) => [c.id, c]));
    return (byId.get(applyStack(query, [use, near, group], source, { k: 10, disabled: new Set(disabled) })[0].id) as Candidate).id;
  };
  assert.equal(top('get_opts!'), group.id);
  assert.equal(top('Config.get_opts!'), group.id); // qualified by the group's scope
  assert.notEqual(top('Other.get_opts!'), group.id);
  assert.notEqual(top('get_opts!', ['definition']), group.id);
});

test('definition: the chunk holding a class header defines the class (Class.method chunks)', () => {
  const head = chunk('src/router.py', 1, 30, 'Router.__init__', 0.5);
  const later = chunk('src/router.py', 31, 60, 'Router.add_route', 0.9);
  const user = chunk('src/app.py', 1, 30, 'App.route', 1.0);
  const got = ranked('Router', [user, later, head], [head, later, user]);
  assert.equal(got[0].id, head.id);
});

test('definition: a `$`-marked core definition ($ZodType) defines the name, and joins the results when retrieval missed it', () => {
  const use = chunk('src/v4/classic/parse.ts', 1, 10, 'parse', 1.0);
  const def = chunk('src/v4/core/schemas.ts', 100, 140, '$ZodType', 0);
  const all = [use, def];
  const source: ChunkSource = { ...sourceOf(all), definitions: (name, limit) => all.filter((c) => c.symbol === name).slice(0, limit) };
  const got = applyStack('ZodType', [use], source, { k: 10 });
  assert.equal(got[0].id, def.id);
});

test('definition: a class cut into parts is defined by its first chunk, not by a later group that carries its name', () => {
  const head = chunk('src/sessions.py', 395, 416, 'Session', 0.5);
  const group = chunk('src/sessions.py', 505, 509, 'Session', 0.9); // __enter__ and __exit__, grouped under the class's name
  const other = chunk('src/api.py', 1, 20, 'request', 0.7);
  const all = [head, group, other];
  assert.equal(ranked('Session', [group, other, head], all, ['file-coherence'])[0].id, head.id);
});

test('definition: a constructor is a member of its class, not its definition', () => {
  const head = chunk('src/ObjectMapper.java', 121, 126, 'ObjectMapper', 0.5);
  const ctor = chunk('src/ObjectMapper.java', 575, 577, 'ObjectMapper.ObjectMapper', 0.9);
  const got = ranked('ObjectMapper', [ctor, head], [head, ctor], ['file-coherence']);
  assert.equal(got[0].id, head.id);
  const cls = chunk('include/foo.h', 10, 40, 'Foo', 0.5);
  const cppCtor = chunk('src/foo.cc', 5, 20, 'Foo::Foo', 0.9);
  assert.equal(ranked('Foo', [cppCtor, cls], [cls, cppCtor], ['file-coherence'])[0].id, cls.id);
});

test('definition: a constructor chunk that holds its class header (the first chunk of the class) defines the class', () => {
  // pythonnet's PyList.cs: the class header joins the first constructor's chunk, named after it.
  const first = chunk('runtime/PythonTypes/PyList.cs', 5, 16, 'Python.Runtime.PyList.PyList', 0.5);
  const later = chunk('runtime/PythonTypes/PyList.cs', 36, 46, 'Python.Runtime.PyList.PyList', 0.9);
  const use = chunk('runtime/PythonTypes/PyObject.cs', 1026, 1037, 'Python.Runtime.PyObject.AsList', 1.0);
  const got = ranked('PyList', [use, later, first], [first, later, use], ['file-coherence']);
  assert.equal(got[0].id, first.id);
});

test('platform: of code written once per operating system, the one for the machine searched from comes first unless the question names a system', () => {
  assert.equal(platformOf('src/win/udp.c'), 'windows');
  assert.equal(platformOf('src/unix/udp.c'), 'unix');
  assert.equal(platformOf('src/unix/linux-core.c'), 'linux'); // the file name is more specific than the folder
  assert.equal(platformOf('src/unix/bsd-ifaddrs.c'), 'bsd');
  assert.equal(platformOf('exec/lp_windows.go'), 'windows');
  assert.equal(platformOf('crypto/hmac_sha256.c'), undefined);
  assert.equal(platformOf('net/mac_address.go'), undefined); // `mac` names a system only as a folder
  const win = chunk('src/win/udp.c', 1130, 1150, 'uv__udp_send', 1.0);
  const unix = chunk('src/unix/udp.c', 150, 160, 'uv__udp_sendmsg', 0.95);
  const top = (query: string, platform: string, disabled: string[] = []): number =>
    applyStack(query, [win, unix], sourceOf([win, unix]), { k: 10, platform, disabled: new Set(disabled) })[0].id;
  assert.equal(top('UDP socket send and receive', 'linux'), unix.id);
  assert.equal(top('UDP socket send and receive', 'darwin'), unix.id);
  assert.equal(top('UDP socket send and receive', 'win32'), win.id);
  assert.equal(top('UDP socket send on Windows', 'linux'), win.id);
  assert.equal(top('UDP socket send and receive', 'linux', ['platform']), win.id);
});

test('definition: an impl of a trait is not its definition', () => {
  const impl = chunk('src/json.rs', 1, 30, 'impl Serialize for Value.serialize', 1.0);
  const def = chunk('src/ser.rs', 1, 30, 'Serialize', 0.5);
  assert.equal(ranked('Serialize', [impl, def])[0].id, def.id);
});

test('path prior: an implementation outranks its test for a natural-language query, unless tests are asked for', () => {
  const test1 = chunk('tests/test_cookies.py', 1, 30, 'test_signed_cookie', 1.0);
  const impl = chunk('src/cookies.py', 1, 30, 'sign_cookie', 0.7);
  assert.equal(ranked('where are cookies signed', [test1, impl])[0].id, impl.id);
  assert.equal(ranked('where are cookies signed', [test1, impl], undefined, ['path-prior', 'file-coherence'])[0].id, test1.id);
  assert.equal(ranked('tests for signed cookies', [test1, impl], undefined, ['file-name'])[0].id, test1.id);
});

test('path prior: code kept under docs/ is example code', () => {
  assert.ok(pathKinds('docs/code/cgi/tick.c').topics.has('example'));
  assert.ok(pathKinds('docs/code/cgi/tick.c').topics.has('doc'));
  assert.ok(!pathKinds('docs/guide/basics.rst').topics.has('example'));
  assert.ok(!pathKinds('src/unix/core.c').topics.has('example'));
  assert.ok(!pathKinds('doc/man_docs.go').topics.has('example')); // cobra's doc package
  const example = chunk('docs/code/cgi/tick.c', 4, 13, 'main', 1.0);
  const impl = chunk('src/unix/core.c', 380, 420, 'uv_run', 0.5);
  assert.equal(ranked('how the event loop runs each tick', [example, impl], undefined, ['file-name'])[0].id, impl.id);
  assert.equal(ranked('examples of the event loop tick', [example, impl], undefined, ['file-name'])[0].id, example.id);
  assert.equal(ranked('the event loop tick in the docs', [example, impl], undefined, ['file-name'])[0].id, example.id);
});

test('path prior: a question about a testing tool wants the tool, not the tests that use it; a question for tests still gets them', () => {
  const asks = (q: string): boolean => classifyQuery(q).mentions.has('test');
  for (const q of ['tests for signed cookies', 'where is the router tested', 'unit tests of the parser', 'test cases for retries', 'the tests that cover redirects', 'database fixtures']) assert.ok(asks(q), q);
  for (const q of ['how does the test client simulate requests', 'testing client', 'invoking a command in tests and capturing its output', 'mock handler for simulating HTTP responses in tests', 'expect assertion API and matchers']) assert.ok(!asks(q), q);
  // starlette: tests/test_requests.py calls the test client everywhere; starlette/testclient.py is it.
  const uses = chunk('tests/test_requests.py', 33, 42, 'test_request_client', 1.0);
  const tool = chunk('starlette/testclient.py', 380, 420, 'TestClient.request', 0.5);
  assert.equal(ranked('how does the test client simulate requests', [uses, tool], undefined, ['file-name'])[0].id, tool.id);
  assert.equal(ranked('tests for the test client', [uses, tool], undefined, ['file-name'])[0].id, uses.id);
});

test('declarations: for a question about how code works the implementation outranks a TypeScript types module, unless the question is about types', () => {
  for (const p of ['src/node/types/config.ts', 'src/types.ts', 'http/types.ts', 'src/node-types.ts', 'src/types/index.tsx']) assert.ok(pathKinds(p).declarations, p);
  for (const p of ['src/prototypes.ts', 'pydantic/types.py', 'types/index.d.ts', 'src/typeset.ts']) assert.ok(!pathKinds(p).declarations, p);
  // vitest's node/types/coverage.ts declares the provider's options; node/coverage.ts runs it.
  const decl = chunk('src/node/types/coverage.ts', 79, 84, 'CoverageProvider', 1.0);
  const impl = chunk('src/node/coverage.ts', 648, 656, 'BaseCoverageProvider.reportCoverage', 0.8);
  const all = [decl, impl];
  const top = (query: string, disabled: string[] = []): number => ranked(query, [decl, impl], all, ['file-coherence', 'file-name', ...disabled])[0].id;
  assert.equal(top('how coverage provider instrumentation is run'), impl.id);
  assert.equal(top('how coverage provider instrumentation is run', ['declarations']), decl.id);
  assert.equal(top('coverage provider interface'), decl.id); // the question names the declaration
  assert.equal(top('which options does the coverage provider take'), decl.id); // options are declared
  assert.equal(top('how to configure coverage'), decl.id); // a setup question may want the options' declaration
  // A file named types that holds functions or methods is code (zod's v3/types.ts).
  const method = chunk('src/node/types/coverage.ts', 90, 120, 'CoverageProvider.resolve', 0);
  const code = chunk('src/node/types/coverage.ts', 121, 140, 'resolveCoverageOptions', 0);
  assert.equal(ranked('how coverage provider instrumentation is run', [decl, impl], [decl, impl, method, code], ['file-coherence', 'file-name'])[0].id, decl.id);
});

test('intent prior: code beats prose for a question about code; docs stay first for a setup question', () => {
  const doc = chunk('docs/extract.md', 1, 30, 'Extractors', 1.0);
  const code = chunk('src/extract/mod.rs', 1, 30, 'Query.from_request', 0.6);
  assert.equal(ranked('how extractors parse the request', [doc, code], undefined, ['file-name'])[0].id, code.id);
  const doc2 = chunk('docs/install.md', 1, 30, 'Installation', 1.0);
  const code2 = chunk('src/config.rs', 1, 30, 'Config.load', 0.6);
  assert.equal(ranked('how do I install and configure it', [doc2, code2])[0].id, doc2.id);
});

test('file coherence: a long doc\'s many lowered chunks do not add back what the intent prior took (its share is lowered alike)', () => {
  // aiohttp's sdist: docs/client_middleware_cookbook.rst matches "middleware" all through.
  const doc = Array.from({ length: 12 }, (_, i) => chunk('docs/client_middleware_cookbook.rst', i * 20 + 1, i * 20 + 18, `Cookbook > Section ${i}`, 0.9 - i * 0.01));
  // Four chunks of code that, after the prior, score like the doc's: a topic (no chunk leads), so coherence weighs much.
  const code = [0.3, 0.29, 0.28, 0.28].map((score, i) => chunk('aiohttp/web_middlewares.py', 90 + i * 20, 108 + i * 20, `middleware_${i}`, score));
  const got = ranked('server-side middleware execution', [...doc, ...code], undefined, ['file-name']);
  assert.equal(got[0].path, 'aiohttp/web_middlewares.py');
  // Asked about the docs, the doc leads.
  assert.equal(ranked('middleware docs', [...doc, ...code], undefined, ['file-name'])[0].path, 'docs/client_middleware_cookbook.rst');
});

test('saturation: one file cannot fill the top 10 when other files match', () => {
  const big = Array.from({ length: 12 }, (_, i) => chunk('src/big.ts', i * 10 + 1, i * 10 + 9, `Big.m${i}`, 1 - i * 0.01));
  const others = Array.from({ length: 6 }, (_, i) => chunk(`src/other${i}.ts`, 1, 9, `f${i}`, 0.6 - i * 0.01));
  const got = ranked('how is the cache invalidated', [...big, ...others]);
  const fromBig = got.filter((c) => c.path === 'src/big.ts').length;
  assert.ok(fromBig <= 4, `${fromBig} of 10 from one file`);
  const without = ranked('how is the cache invalidated', [...big, ...others], undefined, ['saturation']);
  assert.equal(without.filter((c) => c.path === 'src/big.ts').length, 10);
});

test('saturation: a question about how something works reaches the other matching files before a second chunk of one', () => {
  // Coherence is left out so that only the selection differs between the two queries.
  const mk = () => [
    chunk('src/table.ts', 1, 20, 'Table.add', 1.0),
    chunk('src/table.ts', 30, 50, 'Table.lookup', 0.95),
    chunk('src/layer.ts', 1, 20, 'Layer', 0.45),
    chunk('src/stack.ts', 1, 20, 'Stack', 0.44),
  ];
  const how = mk();
  assert.deepEqual(ranked('how are routes registered and matched', how, undefined, ['file-coherence']).map((c) => c.path), ['src/table.ts', 'src/layer.ts', 'src/stack.ts', 'src/table.ts']);
  // A description of one function (a doc comment's words) keeps the file's second chunk second: 0.95 × 0.5 > 0.45.
  const plain = mk();
  assert.deepEqual(ranked('register and match routes', plain, undefined, ['file-coherence']).map((c) => c.path), ['src/table.ts', 'src/table.ts', 'src/layer.ts', 'src/stack.ts']);
  assert.ok(WEIGHTS.saturationHow < 0.45 / 0.95 && WEIGHTS.saturation > 0.45 / 0.95); // what the fixture relies on
});

test('duplicates: the same code in different files collapses into one result that lists the other places', () => {
  // As an index stores them: the hashes differ (they cover the embedded header, which names the path), the bodies do not.
  const a = { ...chunk('v3/lib/parse.js', 1, 20, 'parse', 1.0), body: 'same' };
  const b = { ...chunk('v4/lib/parse.js', 1, 20, 'parse', 0.99), body: 'same' };
  const c = { ...chunk('lib/format.js', 1, 20, 'format', 0.5), body: 'other' };
  const res = applyStack('parse the input', [a, b, c], sourceOf([a, b, c]), { k: 10 });
  // The v4 copy stands for both (v3/ beside v4/ is the older copy: shadow-copy).
  assert.deepEqual(res.map((r) => r.id), [b.id, c.id]);
  assert.deepEqual(res[0].duplicates, [a.id]);
  const plain = applyStack('parse the input', [a, b, c], sourceOf([a, b, c]), { k: 10, disabled: new Set(['shadow-copy']) });
  assert.deepEqual(plain.map((r) => r.id), [a.id, c.id]);
  assert.deepEqual(plain[0].duplicates, [b.id]);
  // A licence header repeated at the top of every file: one result, whatever the files are called.
  const headers = ['Handler/StreamHandler.php', 'Handler/SyslogHandler.php', 'Handler/NoopHandler.php'].map((p, i) => ({ ...chunk(p, 3, 12, undefined, 1 - i / 100), body: 'licence' }));
  const logger = { ...chunk('Logger.php', 260, 270, 'Logger.pushHandler', 0.9), body: 'push' };
  const got = applyStack('how are handlers registered', [...headers, logger], sourceOf([...headers, logger]), { k: 10 });
  assert.deepEqual(got.map((r) => r.id), [headers[0].id, logger.id]);
  assert.deepEqual(got[0].duplicates, [headers[1].id, headers[2].id]);
  assert.equal(applyStack('how are handlers registered', [...headers, logger], sourceOf([...headers, logger]), { k: 10, disabled: new Set(['duplicates']) }).length, 4);
});

test('duplicates: chunks of an index written before bodies are compared by their hash', () => {
  const a = chunk('lib/a.js', 1, 20, 'parse', 1.0, 'same');
  const b = chunk('lib/a.js', 40, 59, 'parse', 0.9, 'same');
  const c = chunk('lib/b.js', 1, 20, 'parse', 0.8, 'other');
  assert.deepEqual(applyStack('parse the input', [a, b, c], sourceOf([a, b, c]), { k: 10 }).map((r) => r.id), [a.id, c.id]);
});

test('file coherence: a file with several strong chunks outranks one lucky chunk', () => {
  const lucky = chunk('src/misc.py', 1, 10, undefined, 1.0);
  const f1 = chunk('src/retry.py', 1, 10, undefined, 0.95);
  const f2 = chunk('src/retry.py', 11, 20, undefined, 0.9);
  const f3 = chunk('src/retry.py', 21, 30, undefined, 0.9);
  assert.equal(ranked('when does the client give up', [lucky, f1, f2, f3])[0].path, 'src/retry.py');
  assert.equal(ranked('when does the client give up', [lucky, f1, f2, f3], undefined, ['file-coherence'])[0].path, 'src/misc.py');
});

test('file coherence is strong when no chunk stands out and weak when one clearly leads', () => {
  // A topic: the top candidates score alike, so the file holding most of them comes first even over a slightly better chunk.
  const flat = (lead: number): Candidate[] => [
    chunk('src/misc.py', 1, 10, undefined, 1.0),
    chunk('src/streams.py', 1, 10, undefined, 1.0 - lead),
    chunk('src/streams.py', 11, 20, undefined, 1.0 - lead),
    chunk('src/other.py', 1, 10, undefined, 1.0 - lead),
    chunk('src/more.py', 1, 10, undefined, 1.0 - lead),
  ];
  // (With the weak weight alone, 0.2, the lucky chunk would stay first here: 1.0 + 0.2·1/1.6 > 0.8 + 0.2.)
  assert.equal(ranked('when does the client give up', flat(0.2))[0].path, 'src/streams.py');
  // One chunk leads the fifth by more than the gap: that chunk is the answer and stays first.
  assert.equal(ranked('when does the client give up', flat(0.5))[0].path, 'src/misc.py');
});

test('file coherence counts strong candidates only: the many weak matches of a huge file do not outrank a small file that answers', () => {
  // The small file holds the two best chunks; the huge one its third best and a hundred weak matches below the
  // many mid-scoring chunks of other files (a single-header library, a 1,000-line worker).
  const small = [chunk('include/adl_serializer.hpp', 1, 20, undefined, 1.0), chunk('include/adl_serializer.hpp', 21, 40, undefined, 0.97)];
  const hugeBest = chunk('include/json.hpp', 1, 20, undefined, 0.99);
  const others = Array.from({ length: 80 }, (_, i) => chunk(`include/detail/part${i}.hpp`, 1, 20, undefined, 0.8 - i * 0.001));
  const weak = Array.from({ length: 100 }, (_, i) => chunk('include/json.hpp', 100 + i * 20, 119 + i * 20, undefined, 0.5 - i * 0.001));
  const cands = [...small, hugeBest, ...others, ...weak];
  assert.equal(ranked('conversion hooks for custom types', cands, undefined, ['saturation'])[0].path, 'include/adl_serializer.hpp');
  // Counting every candidate, the huge file's sum wins.
  const depth = WEIGHTS.coherenceDepth;
  WEIGHTS.coherenceDepth = cands.length;
  try {
    assert.equal(ranked('conversion hooks for custom types', cands, undefined, ['saturation'])[0].path, 'include/json.hpp');
  } finally {
    WEIGHTS.coherenceDepth = depth;
  }
});

test('path query: the named file comes first', () => {
  const other = chunk('src/request.js', 1, 10, 'req.get', 1.0);
  const file = chunk('lib/response.js', 1, 10, 'res.send', 0.3);
  assert.equal(ranked('response.js', [other, file])[0].id, file.id);
});

test('near-duplicates: a versioned copy of a selected chunk (same name, same file name, same embedding) collapses', () => {
  const v = new Float32Array([0.6, 0.8]);
  const w = new Float32Array([1, 0]);
  const a = chunk('v3/src/parse.ts', 1, 20, 'parse', 1.0);
  const b = chunk('v4/src/parse.ts', 1, 22, 'parse', 0.98);
  const c = chunk('src/other/parse.ts', 1, 20, 'parse', 0.9);
  const vectors = new Map([[a.id, v], [b.id, v], [c.id, w]]);
  const source = { ...sourceOf([a, b, c]), vector: (id: number) => vectors.get(id) };
  const res = applyStack('parse the input', [a, b, c], source, { k: 10 });
  // The v4 copy stands for both (v3/ beside v4/ is the older copy: shadow-copy).
  assert.deepEqual(res.map((r) => r.id), [b.id, c.id]);
  assert.deepEqual(res[0].duplicates, [a.id]);
  assert.equal(applyStack('parse the input', [a, b, c], source, { k: 10, disabled: new Set(['near-duplicates']) }).length, 3);
});

test('near-duplicates: copies are looked for among the candidates that can still be shown; the results equal checking every one', () => {
  // Twelve copies of twenty files (copy0/ … copy11/, same names and symbols): every candidate has a same-named one
  // before it, which is what made the near-copy check most of the stack's time on the benchmark's 100k-chunk index.
  const cands: Candidate[] = [];
  const vectors = new Map<number, Float32Array>();
  for (let copy = 0; copy < 12; copy++) {
    for (let f = 0; f < 20; f++) {
      // Odd files' copies are near copies of copy 0 (cosine 1); even files' copies point elsewhere (cosine 0).
      const c = chunk(`copy${copy}/src/file${f}.ts`, 1, 20, `fn${f}`, 1 - (copy * 20 + f) * 0.003);
      cands.push(c);
      vectors.set(c.id, f % 2 === 1 || copy === 0 ? new Float32Array([1, 0]) : new Float32Array([0, 1]));
    }
  }
  let reads = 0;
  const source = { ...sourceOf(cands), vector: (id: number) => (reads++, vectors.get(id)) };
  const all = applyStack('parse the input', cands, source, { k: 10, nearCopyWindow: Infinity });
  const readsAll = reads;
  reads = 0;
  const windowed = applyStack('parse the input', cands, source, { k: 10 });
  assert.deepEqual(windowed.map((r) => [r.id, r.score]), all.map((r) => [r.id, r.score]));
  assert.ok(reads < readsAll / 4, `${reads} vector reads, ${readsAll} when every candidate is checked`);
  // A window too small for what fragments drop: the selection is made again over all candidates.
  const frags = Array.from({ length: 30 }, (_, i) => chunk('src/big.ts', 1 + i, 1 + i, 'Big', 3 - i * 0.01));
  const withFrags = [...frags, ...cands.slice(0, 40)];
  const src2 = { ...sourceOf(withFrags), vector: (id: number) => vectors.get(id) };
  const opts = { k: 10, disabled: new Set(['saturation']) };
  const expected = applyStack('parse the input', withFrags, src2, { ...opts, nearCopyWindow: Infinity }).map((r) => r.id);
  assert.equal(expected.length, 10);
  assert.deepEqual(applyStack('parse the input', withFrags, src2, { ...opts, nearCopyWindow: 11 }).map((r) => r.id), expected);
});

test('shadow copy: the v1/ copy of a file that exists outside v1/ ranks below the current one', () => {
  const old = chunk('pydantic/v1/fields.py', 1, 30, 'ModelField', 1.0);
  const cur = chunk('pydantic/fields.py', 1, 30, 'FieldInfo', 0.7);
  const api = chunk('api/v1/types.go', 1, 30, 'Pod', 0.9);
  assert.equal(ranked('how are model fields declared', [old, cur])[0].id, cur.id);
  assert.equal(ranked('how are model fields declared', [old, cur], undefined, ['shadow-copy'])[0].id, old.id);
  // A version folder with no namesake outside it is the live code.
  assert.equal(ranked('pod spec fields', [api, cur], undefined, ['file-name'])[0].id, api.id);
});

test('shadow copy: a file under v3/ beside a v4/ folder ranks below the v4 code, unless the query names a version', () => {
  const old = chunk('src/v3/types.ts', 1, 30, 'ZodString', 1.0);
  const cur = chunk('src/v4/core/schemas.ts', 1, 30, '$ZodString', 0.7);
  const all = [old, chunk('src/v3/types.ts', 31, 60, 'ZodString._parse', 0), cur]; // zod's v3/types.ts holds classes' methods: code, not declarations
  assert.equal(ranked('string schema checks', [old, cur], all)[0].id, cur.id);
  assert.equal(ranked('string schema checks', [old, cur], all, ['shadow-copy'])[0].id, old.id);
  assert.equal(ranked('v3 string schema checks', [old, cur], all)[0].id, old.id);
});

test('file name: a file named after the words of a question, or the short forms code uses for them (ctx.py, de/impls.rs), rises', () => {
  const app = chunk('src/flask/app.py', 1400, 1420, 'Flask.request_context', 1.0);
  const ctx = chunk('src/flask/ctx.py', 377, 399, 'RequestContext', 0.9);
  assert.equal(ranked('request context handling', [app, ctx])[0].id, ctx.id);
  assert.equal(ranked('request context handling', [app, ctx], undefined, ['file-name'])[0].id, app.id);
  const mod = chunk('serde/src/ser/mod.rs', 30, 50, 'Serialize', 1.0);
  const impls = chunk('serde/src/de/impls.rs', 600, 630, 'impl Deserialize for String', 0.85);
  assert.equal(ranked('standard library Deserialize implementations', [mod, impls])[0].id, impls.id);
  assert.equal(ranked('standard library Deserialize implementations', [mod, impls], undefined, ['file-name'])[0].id, mod.id);
  const de = chunk('src/de/mod.rs', 1, 20, 'Visitor', 0.9); // "de" is a short form of deserialize, not of every de- word
  assert.equal(ranked('how tests are defined and described', [chunk('src/runner.rs', 1, 20, 'run', 1.0), de])[0].path, 'src/runner.rs');
});

test('word forms: shared prefixes match inflections, not unrelated words', async () => {
  const { sameWord } = await import('../../src/core/ranking/rules');
  for (const [a, b] of [['streaming', 'streams'], ['serialize', 'serializers'], ['config', 'configuration'], ['fields', 'field'], ['validators', 'validate']]) assert.ok(sameWord(a, b), `${a} ~ ${b}`);
  for (const [a, b] of [['parse', 'parallel'], ['stream', 'strength'], ['test', 'text'], ['model', 'modules']]) assert.ok(!sameWord(a, b), `${a} !~ ${b}`);
});

test('fragments: a class header cut from its docstring is shown with it, a closing tail with its body, and a result inside a shown range is left out', () => {
  const before = chunk('src/connector.py', 860, 872, 'make_context', 0.2);
  const header = chunk('src/connector.py', 875, 875, 'TCPConnector', 1.0);
  const docHead = chunk('src/connector.py', 876, 876, 'TCPConnector', 0.5);
  const doc = chunk('src/connector.py', 878, 898, 'TCPConnector', 0.9);
  const body = chunk('src/builder.java', 971, 982, 'EqualsBuilder.reflectionAppend', 0.3);
  const tail = chunk('src/builder.java', 983, 984, 'EqualsBuilder.reflectionAppend', 0.8);
  const next = chunk('src/builder.java', 986, 1001, 'EqualsBuilder.reflectionAppend', 0.1);
  const all = [before, header, docHead, doc, body, tail, next];
  const res = applyStack('tcp connector', [header, docHead, doc, tail, body, before, next], sourceOf(all), { k: 10, disabled: new Set(['file-coherence', 'saturation']) });
  const byId = new Map(res.map((r) => [r.id, r]));
  assert.deepEqual(byId.get(header.id)?.lines, { startLine: 875, endLine: 898 });
  assert.deepEqual(byId.get(tail.id)?.lines, { startLine: 971, endLine: 984 });
  // The docstring's chunks and the body are inside ranges already shown; chunks that are not fragments keep their lines.
  assert.ok(!byId.has(docHead.id) && !byId.has(doc.id) && !byId.has(body.id), JSON.stringify(res));
  assert.equal(byId.get(before.id)?.lines, undefined);
  // Left out, every chunk is its own result with its own lines.
  const plain = applyStack('tcp connector', [header, docHead, doc, tail, body, before, next], sourceOf(all), { k: 10, disabled: new Set(['file-coherence', 'saturation', 'fragments']) });
  assert.equal(plain.length, 7);
  assert.ok(plain.every((r) => r.lines === undefined));
});
