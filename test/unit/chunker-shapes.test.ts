/**
 * Chunking shapes seen in real code (issue 10): definitions that are not declarations (assigned functions,
 * object-literal methods, class fields), receivers and impls, doc comments kept with what they document,
 * and setext Markdown headings. One test per shape, on snippets written the way real projects write them.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chunkText, type Chunk, type ChunkerOptions } from '../../src/core/chunking/chunker';
import type { Tokenizer } from '../../src/core/embedding/transformers';
import { realTokenizer } from '../helpers/model';

let opts: ChunkerOptions;
before(async () => {
  const tok: Tokenizer = await realTokenizer();
  opts = { maxTokens: 254, countTokens: (t) => tok.count(t) };
});

/** Lines of plausible body code (enough tokens for a definition to stand alone). */
function body(name: string, indent = '  ', comment = '//', lines = 5): string {
  return Array.from({ length: lines }, (_, i) => `${indent}${comment} ${name} step ${i}: validate the input, update the state and continue`).join('\n');
}

function chunkOf(chunks: Chunk[], symbol: string): Chunk {
  const c = chunks.find((x) => x.symbol === symbol);
  assert.ok(c, `no chunk named ${symbol}; got ${JSON.stringify(chunks.map((x) => [x.symbol, x.startLine, x.endLine]))}`);
  return c;
}

const SHAPES: { name: string; file: string; source: string; expect: [symbol: string, firstLine: string][] }[] = [
  {
    name: 'JavaScript: x.y = function with its JSDoc (Express style)',
    file: 'response.js',
    source: `'use strict';\n\n/**\n * Set cookie \`name\` to \`value\`.\n *\n * @param {String} name\n * @public\n */\n\nres.cookie = function (name, value, options) {\n${body('cookie')}\n  return this;\n};\n\n/**\n * Render \`view\`.\n */\napp.render = function render(name, options, callback) {\n${body('render')}\n};\n`,
    expect: [['res.cookie', '/**'], ['app.render', '/**']],
  },
  {
    name: 'JavaScript: exports.x = and module.exports = function name',
    file: 'utils.js',
    source: `exports.etag = function etag(body, encoding) {\n${body('etag')}\n};\n\nmodule.exports = function createApplication() {\n${body('create')}\n};\n`,
    expect: [['etag', 'exports.etag'], ['createApplication', 'module.exports']],
  },
  {
    name: 'TypeScript: const arrow function and function expression',
    file: 'handlers.ts',
    source: `export const handleUpload = async (req: Request): Promise<Response> => {\n${body('upload')}\n  return new Response();\n};\n\nconst retryPolicy = function (attempt: number): number {\n${body('retry')}\n  return attempt * 2;\n};\n`,
    expect: [['handleUpload', 'export const handleUpload'], ['retryPolicy', 'const retryPolicy']],
  },
  {
    name: 'JavaScript: object-literal methods and pairs',
    file: 'api.js',
    source: `const api = {\n  get(url) {\n${body('get', '    ')}\n  },\n  post: function (url, data) {\n${body('post', '    ')}\n  },\n  remove: (url) => {\n${body('remove', '    ')}\n  },\n};\n`,
    expect: [['api.get', 'const api'], ['api.post', 'post: function'], ['api.remove', 'remove: (url)']],
  },
  {
    name: 'TypeScript: class fields holding arrow functions',
    file: 'store.ts',
    source: `export class Store {\n  private items: string[] = [];\n  onChange = (event: Event): void => {\n${body('onChange', '    ')}\n  };\n  static create(): Store {\n${body('create', '    ')}\n    return new Store();\n  }\n}\n`,
    expect: [['Store.onChange', 'export class Store'], ['Store.create', 'static create']],
  },
  {
    name: 'Python: decorated functions keep their decorators',
    file: 'routes.py',
    source: `import functools\n\n\n@app.route("/login")\n@functools.cache\ndef login(request):\n${body('login', '    ', '#')}\n    return None\n`,
    expect: [['login', '@app.route']],
  },
  {
    name: 'Go: methods are named Receiver.Method',
    file: 'server.go',
    source: `package http\n\n// Serve accepts incoming connections.\nfunc (srv *Server) Serve(l net.Listener) error {\n${body('Serve', '\t')}\n\treturn nil\n}\n`,
    expect: [['Server.Serve', '// Serve accepts']],
  },
  {
    name: 'Rust: impl items are cut into methods under the impl',
    file: 'point.rs',
    source: `pub struct Point { x: f64, y: f64 }\n\nimpl fmt::Display for Point {\n    /// Writes the point as (x, y).\n    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {\n${body('fmt', '        ')}\n        write!(f, "({}, {})", self.x, self.y)\n    }\n\n    fn other(&self) -> u32 {\n${body('other', '        ')}\n        0\n    }\n}\n`,
    expect: [['impl fmt::Display for Point.fmt', 'impl fmt::Display'], ['impl fmt::Display for Point.other', 'fn other']],
  },
  {
    name: 'Ruby: def self.x is a method of its class',
    file: 'job.rb',
    source: `class Job\n  # Builds a job from params.\n  def self.build(params)\n${body('build', '    ', '#')}\n  end\n\n  def perform\n${body('perform', '    ', '#')}\n  end\nend\n`,
    expect: [['Job.build', 'class Job'], ['Job.perform', 'def perform']],
  },
  {
    name: 'PHP: trait methods and closures assigned to names',
    file: 'greets.php',
    source: `<?php\ntrait Greets {\n    public function hello($name) {\n${body('hello', '        ')}\n        return "hi";\n    }\n}\n\n$handler = function ($request) {\n${body('handler', '    ')}\n    return $request;\n};\n`,
    expect: [['Greets.hello', 'trait Greets'], ['handler', '$handler']],
  },
  {
    name: 'C++: out-of-class method definitions',
    file: 'parser.cpp',
    source: `#include "parser.h"\n\n// Parses one token.\nToken Parser::next() {\n${body('next')}\n  return Token();\n}\n`,
    expect: [['Parser::next', '// Parses one token']],
  },
  {
    name: 'Rust: attributes between a doc comment and its item stay with the item',
    file: 'runtime.rs',
    source: `use std::fmt;\n\n/// Spawns a task on the runtime.\n#[track_caller]\n#[cfg(feature = "rt")]\npub fn spawn<F>(future: F) -> JoinHandle<F::Output> {\n${body('spawn', '    ')}\n    todo!()\n}\n`,
    expect: [['spawn', '/// Spawns a task']],
  },
  {
    name: 'Kotlin: class members, companion objects and extension functions',
    file: 'HttpClient.kt',
    source: `package io.ktor.client\n\n/** A client. */\npublic class HttpClient(private val engine: Engine) : Closeable {\n    /** Installs a plugin. */\n    public fun install(plugin: Plugin) {\n${body('install', '        ')}\n    }\n\n    companion object {\n        fun create(): HttpClient {\n${body('create', '            ')}\n            return HttpClient(Engine())\n        }\n    }\n}\n\n/** Sends a GET request. */\nsuspend fun HttpClient.get(url: String): HttpResponse {\n${body('get', '    ')}\n    return request(url)\n}\n`,
    expect: [['HttpClient.install', '/** A client. */'], ['HttpClient.Companion.create', 'companion object'], ['HttpClient.get', '/** Sends a GET']],
  },
  {
    name: 'Kotlin: the KDoc after the imports stays with its class (the grammar puts it inside the last import)',
    file: 'Module.kt',
    source: `package expo.modules\n\nimport a.b.C\nimport d.e.F\n\n/**\n * A module.\n */\nclass Module {\n${body('module', '    ')}\n}\n`,
    expect: [['Module', '/**']],
  },
  {
    name: 'Swift: class and extension methods, protocols',
    file: 'Session.swift',
    source: `import Foundation\n\n/// A session.\nopen class Session {\n    /// Creates a request.\n    open func request(_ url: URL) -> DataRequest {\n${body('request', '        ')}\n        return DataRequest()\n    }\n}\n\nextension Session {\n    func retry(_ request: Request) {\n${body('retry', '        ')}\n    }\n}\n\n/// Adapts requests.\npublic protocol RequestAdapter {\n${body('adapt', '    ')}\n    func adapt(_ request: URLRequest) throws -> URLRequest\n}\n`,
    expect: [['Session.request', '/// A session.'], ['Session.retry', 'extension Session'], ['RequestAdapter', '/// Adapts requests']],
  },
  {
    name: 'Scala: traits, objects and their defs',
    file: 'Functor.scala',
    source: `package cats\n\n/** Functor. */\ntrait Functor[F[_]] {\n  def map[A, B](fa: F[A])(f: A => B): F[B]\n\n  def void[A](fa: F[A]): F[Unit] = {\n${body('void')}\n    map(fa)(_ => ())\n  }\n}\n\nobject Functor {\n  def apply[F[_]](implicit instance: Functor[F]): Functor[F] = {\n${body('apply')}\n    instance\n  }\n}\n`,
    expect: [['Functor.map', '/** Functor. */'], ['Functor.void', 'def void'], ['Functor.apply', 'object Functor']],
  },
  {
    name: 'Scala: a self-type and Scala 3 indentation syntax (objects with a colon, givens)',
    file: 'Show.scala',
    source: `package cats\n\ntrait Semigroup[A] { self =>\n  def combine(x: A, y: A): A = {\n${body('combine')}\n    x\n  }\n}\n\nobject Show:\n  /** Summons an instance. */\n  def apply[A](using s: Show[A]): Show[A] =\n${body('apply', '    ')}\n    s\n`,
    expect: [['Semigroup.combine', 'trait Semigroup'], ['Show.apply', 'object Show:']],
  },
  {
    name: 'Elixir: defmodule, def with its @doc, defp',
    file: 'conn.ex',
    source: `defmodule Plug.Conn do\n  @moduledoc "The connection."\n\n  @doc "Assigns a value."\n  def assign(conn, key, value) when is_atom(key) do\n${body('assign', '    ', '#')}\n    conn\n  end\n\n  defp run_before_send(conn) do\n${body('before_send', '    ', '#')}\n    conn\n  end\nend\n`,
    expect: [['Plug.Conn.assign', 'defmodule Plug.Conn'], ['Plug.Conn.run_before_send', 'defp run_before_send']],
  },
  {
    name: 'Elixir: the clauses of one function, grouped, are named after it',
    file: 'router.ex',
    source: `defmodule Plug.Router do\n  def call(conn, opts) do\n${body('call', '    ', '#')}\n    conn\n  end\n\n  def match(conn, :get), do: conn\n  def match(conn, :post), do: conn\n  def match(conn, _), do: conn\nend\n`,
    expect: [['Plug.Router.call', 'defmodule Plug.Router'], ['Plug.Router.match', 'def match(conn, :get)']],
  },
  {
    name: 'Lua: module functions, methods and assigned functions',
    file: 'pickers.lua',
    source: `local M = {}\n\n--- Finds files.\nfunction M.find_files(opts)\n${body('find_files', '  ', '--')}\nend\n\nfunction M:refresh()\n${body('refresh', '  ', '--')}\nend\n\nM.grep = function(opts)\n${body('grep', '  ', '--')}\nend\n\nreturn M\n`,
    expect: [['M.find_files', '--- Finds files.'], ['M.refresh', 'function M:refresh'], ['M.grep', 'M.grep = function']],
  },
  {
    name: 'Haskell: data types, classes and instances, functions with their Haddock and type signature',
    file: 'Types.hs',
    source: `{-# LANGUAGE OverloadedStrings #-}\nmodule Data.Aeson.Types (Value(..), encode) where\n\nimport Data.Text (Text)\n\n-- | A JSON value.\ndata Value\n  = Object Object\n  | Null\n${body('value', '  ', '--')}\n  deriving (Eq, Show)\n\n-- | Types that can be decoded.\nclass FromJSON a where\n  parseJSON :: Value -> Parser a\n${body('parse', '  ', '--')}\n  parseJSON = undefined\n\ninstance FromJSON Bool where\n  parseJSON (Bool b) = pure b\n${body('bool', '  ', '--')}\n  parseJSON _ = fail "expected Bool"\n\n-- | Encodes a value.\nencode :: ToJSON a => a -> ByteString\nencode x = go x\n${body('encode', '  ', '--')}\n  where go = undefined\n`,
    // An instance is named by its head, so that it does not count as a definition of the class.
    expect: [['Value', '-- | A JSON value.'], ['FromJSON', '-- | Types that can be decoded.'], ['instance FromJSON Bool', 'instance FromJSON Bool'], ['encode', '-- | Encodes a value.']],
  },
  {
    name: 'Zig: functions inside a const struct, tests',
    file: 'allocator.zig',
    source: `const std = @import("std");\n\n/// An allocator.\npub const Allocator = struct {\n    ptr: *anyopaque,\n\n    /// Allocates n bytes.\n    pub fn alloc(self: Allocator, n: usize) ![]u8 {\n${body('alloc', '        ')}\n        return self.vtable.alloc(n);\n    }\n};\n\ntest "alloc works" {\n${body('test')}\n    try std.testing.expect(true);\n}\n`,
    expect: [['Allocator.alloc', '/// An allocator.'], ['test "alloc works"', 'test "alloc works"']],
  },
];

test('chunking: a doc comment too long to share a chunk with its definition is cut apart; the definition starts at its header', async () => {
  const javadoc = Array.from({ length: 40 }, (_, i) => ` * ObjectMapper note ${i}: reading and writing JSON with databinding, configured once and shared by threads.`).join('\n');
  const java = `package com.example;\n\nimport java.io.Serializable;\n\n/**\n${javadoc}\n */\npublic class ObjectMapper\n    extends ObjectCodec\n    implements Serializable\n{\n    private static final long serialVersionUID = 2L;\n\n    /**\n     * Reads a value.\n     */\n    public <T> T readValue(String content, Class<T> type) {\n${body('read', '        ')}\n        return null;\n    }\n}\n`;
  const chunks = await chunkText('ObjectMapper.java', java, opts);
  // The class's first chunk (here its header joined with its first member, `ObjectMapper.readValue`) starts at the header.
  const first = chunks.find((c) => c.symbol === 'ObjectMapper' || c.symbol?.startsWith('ObjectMapper.'));
  assert.ok(first?.text.startsWith('public class ObjectMapper'), `ObjectMapper's first chunk: ${JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.text.slice(0, 30)]))}`);
  if (!first) return;
  // The doc comment is still indexed (in windows of its own, named by the enclosing scope: none here).
  const doc = chunks.filter((c) => c.endLine < first.startLine && c.text.includes('ObjectMapper note'));
  assert.ok(doc.length >= 2, `doc comment windows: ${JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine]))}`);
  assert.ok(doc.every((c) => c.symbol === undefined));
  assert.equal(doc[doc.length - 1].endLine, first.startLine - 1);

  // A doc comment that fits with its header stays with it (the usual case).
  const short = `/// Serializes a value.\n/// See the data model.\npub trait Serialize {\n    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;\n${body('ser', '    ')}\n}\n`;
  assert.ok(chunkOf(await chunkText('ser.rs', short, opts), 'Serialize').text.startsWith('/// Serializes a value.'));
});

test('chunking: a C++ template too big for one chunk is cut like its declaration, the template line leading its first chunk', async () => {
  const cpp = `#include <vector>\n\nnamespace absl {\n\n// Draws a sample.\ntemplate <typename IntType>\ntemplate <typename URBG>\ntypename zipf_distribution<IntType>::result_type\nzipf_distribution<IntType>::operator()(URBG& g, const param_type& p) {\n${body('draw', '  ', '//', 30)}\n  return ki;\n}\n\n}  // namespace absl\n`;
  const chunks = await chunkText('zipf_distribution.h', cpp, opts);
  const shape = JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine]));
  // Not a chunk of its own: a template line, or the namespace's opening line.
  assert.ok(!chunks.some((c) => /^(?:template <[^>]*>|namespace absl \{)$/.test(c.text.trim())), shape);
  // Named once, not `operator().operator()`.
  assert.ok(chunks.every((c) => !c.symbol?.includes('operator().')), shape);
  const first = chunks.find((c) => c.symbol === 'absl.zipf_distribution<IntType>::operator()');
  assert.ok(first && first.startLine <= 6 && first.endLine >= 9, shape);
});

test('chunking: a closing line with only a label on it (`}  // namespace absl`, `#endif  // GUARD`) is not a chunk', async () => {
  const cpp = `#ifndef ABSL_STRINGS_STR_SPLIT_H_\n#define ABSL_STRINGS_STR_SPLIT_H_\n\nnamespace absl {\n\nint Split(const char* text, char sep) {\n${body('split', '  ', '//', 30)}\n  return 0;\n}\n\n}  // namespace absl\n\n#endif  // ABSL_STRINGS_STR_SPLIT_H_\n`;
  const chunks = await chunkText('str_split.h', cpp, opts);
  const shape = JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine, c.text.slice(0, 20)]));
  assert.ok(chunks.some((c) => c.symbol === 'absl.Split'), shape);
  assert.ok(!chunks.some((c) => /^(?:\}\s*\/\/ namespace absl|#endif\s*\/\/ ABSL_STRINGS_STR_SPLIT_H_)$/.test(c.text.trim())), shape);
  // A short comment with code beside it still says something.
  const js = `const retries = 3; // how often a request is tried\n`;
  assert.equal((await chunkText('retry.js', js, opts)).length, 1);
});

test('chunking: Scala definitions with their body on the next line keep their own Scaladoc and signature (scala-library StringLike)', async () => {
  const filler = (name: string): string => Array.from({ length: 6 }, (_, i) => `    else if (toString.length == ${i + 1}) "${name} case ${i}: keep the string as it is and go on"`).join('\n');
  const scala = `trait StringLike {\n  /** Returns this string with first character converted to upper case. */\n  def capitalize: String =\n    if (toString == null) null\n${filler('capitalize')}\n    else toString\n\n  /** Returns this string with the given \`prefix\` stripped. If this string does not\n   *  start with \`prefix\`, it is returned unchanged.\n   */\n  def stripPrefix(prefix: String) =\n    if (toString.startsWith(prefix)) toString.substring(prefix.length)\n${filler('stripPrefix')}\n    else toString\n}\n`;
  const chunks = await chunkText('StringLike.scala', scala, opts);
  const shape = JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine]));
  const capitalize = chunkOf(chunks, 'StringLike.capitalize');
  assert.ok(!capitalize.text.includes('stripPrefix'), shape);
  assert.ok(chunkOf(chunks, 'StringLike.stripPrefix').text.trimStart().startsWith('/** Returns this string with the given'), shape);
});

test('chunking: a Haddock too long to share a chunk with its definition is cut apart before the type signature, which stays with its equation', async () => {
  const haddock = Array.from({ length: 30 }, (_, i) => `-- 'jsonWith' note ${i}: parse any JSON value, building objects with the given function from key-value pairs.`).join('\n');
  const equation = Array.from({ length: 12 }, (_, i) => `    C_${i} -> A.anyWord8 *> parseCase${i} mkObject value_`).join('\n');
  const hs = `module Data.Aeson.Parser.Internal (jsonWith) where\n\n-- | Parse any JSON value.\n${haddock}\njsonWith :: ([(Key, Value)] -> Either String Object) -> Parser Value\njsonWith mkObject = fix $ \\value_ -> do\n  w <- A.peekWord8'\n  case w of\n${equation}\n`;
  const chunks = await chunkText('Internal.hs', hs, opts);
  const shape = JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine]));
  const def = chunkOf(chunks, 'jsonWith');
  assert.ok(def.text.startsWith('jsonWith :: '), shape);
  assert.ok(def.text.includes('jsonWith mkObject = fix'), shape);
});

test('chunking: a Haskell pragma written after a definition (`{-# INLINE f #-}`) stays with it, not with the definition below', async () => {
  const eq = (name: string): string => Array.from({ length: 8 }, (_, i) => `${name} (C${i} x) = decodeTheWord x >>= validateTheValue ${i} >>= storeTheResult x`).join('\n');
  const hs = `module Data.Aeson.Parser.Internal where\n\n-- | Parse an array.\narrayValues :: Parser Value -> Parser (Vector Value)\n${eq('arrayValues')}\n{-# INLINE arrayValues #-}\n\n-- | Parse any JSON value.\nvalue :: Parser Value\n${eq('value')}\n{-# INLINE value #-}\n`;
  const chunks = await chunkText('Internal.hs', hs, opts);
  const shape = JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine]));
  const own = chunks.filter((c) => c.symbol === 'arrayValues');
  assert.ok(own.length > 0 && own[own.length - 1].text.trimEnd().endsWith('{-# INLINE arrayValues #-}'), shape);
  assert.ok(chunkOf(chunks, 'value').text.startsWith('-- | Parse any JSON value.'), shape);
});

test('chunking: small definitions grouped into one chunk are listed in its names (Elixir one-liners, Python helpers)', async () => {
  const ex = `defmodule Config do\n  @opts_key {__MODULE__, :opts}\n\n  defp get_opts!(), do: Process.get(@opts_key) || raise_improper_use!()\n  defp put_opts(value), do: Process.put(@opts_key, value)\n  defp delete_opts(), do: Process.delete(@opts_key)\nend\n`;
  const group = (await chunkText('config.ex', ex, opts)).find((c) => c.text.includes('defp get_opts!'));
  assert.ok(group, 'no chunk holds get_opts!');
  assert.deepEqual([group.symbol, group.names], ['Config', ['get_opts!', 'put_opts', 'delete_opts']]);
  const py = `def _is_ip(s):\n    return s.count(".") == 3\n\n\ndef _is_host(s):\n    return "." in s\n\n\nclass Url:\n    def __init__(self, raw):\n${body('init', '        ', '#', 8)}\n        self.raw = raw\n`;
  const chunks = await chunkText('urls.py', py, opts);
  assert.deepEqual(chunks[0].names, ['_is_ip', '_is_host'], JSON.stringify(chunks.map((c) => [c.symbol, c.names])));
  assert.equal(chunkOf(chunks, 'Url.__init__').names, undefined); // a chunk's own definition is its symbol, not a name
});

test('chunking: constants, fields and macros of a file or class are listed in its chunks\' names; a function\'s locals are not', async () => {
  const cases: [file: string, source: string, names: string[]][] = [
    ['settings.py', `DEFAULT_TIMEOUT = 5\nMAX_RETRIES: int = 3\n\n\ndef connect(host):\n    retries = MAX_RETRIES\n    return host, retries\n`, ['DEFAULT_TIMEOUT', 'MAX_RETRIES', 'connect']],
    ['limits.ts', `export const MAX_SIZE = 5;\nlet counter = 0;\n`, ['MAX_SIZE', 'counter']],
    ['consts.rs', `pub const MAX_SIZE: usize = 5;\nstatic GREETING: &str = "hi";\n`, ['MAX_SIZE', 'GREETING']],
    ['Limits.java', `class Limits {\n  public static final int MAX_SIZE = 5;\n  private int count;\n}\n`, ['MAX_SIZE', 'count']],
    ['uv.h', `#define UV_EOF (-4095)\n#define UV_ERR(x) (-(x))\nstatic const int uv_page = 4096;\nint uv_run(void *loop);\n`, ['UV_EOF', 'UV_ERR', 'uv_page']],
    ['version.rb', `module Rack\n  RELEASE = "2.2"\nend\n`, ['RELEASE']],
    ['dev_caching.rb', `module DevCaching\n  class << self\n    FILE = "tmp/caching-dev.txt"\n\n    def enable_by_file\n      File.exist?(FILE)\n    end\n  end\nend\n`, ['FILE', 'enable_by_file']],
    ['Client.php', `<?php\nclass Client {\n  const MAJOR_VERSION = 7;\n}\n`, ['MAJOR_VERSION']],
    ['mode.go', `package gin\n\nconst DebugMode = "debug"\n\nconst (\n\tReleaseMode = "release"\n\tTestMode    = "test"\n)\n\nvar ginMode = 0\n\nvar (\n\tErrForbidden = errors.New("Forbidden")\n\tErrNotFound  = errors.New("Not found")\n)\n`, ['DebugMode', 'ReleaseMode', 'TestMode', 'ginMode', 'ErrForbidden', 'ErrNotFound']],
  ];
  for (const [file, source, want] of cases) {
    const chunks = await chunkText(file, source, opts);
    const names = new Set(chunks.flatMap((c) => [...(c.symbol ? [c.symbol.split('.').pop() as string] : []), ...(c.names ?? [])]));
    const shown = `${file}: ${JSON.stringify(chunks.map((c) => [c.symbol, c.names]))}`;
    for (const n of want) assert.ok(names.has(n), `${n} missing; ${shown}`);
    for (const n of ['retries', 'uv_run', 'loop', 'host']) assert.ok(!names.has(n), `${n} named; ${shown}`); // locals, a prototype, parameters
  }
  // A header's include guard wraps everything: its macros and constants are still the file's (cut inside the guard or not).
  const defines = Array.from({ length: 80 }, (_, i) => `#define FMT_OPTION_${i} ${i} /* the option number ${i} of the library */`).join('\n');
  for (const n of [3, 80]) {
    const header = await chunkText('core.h', `#ifndef FMT_CORE_H_\n#define FMT_CORE_H_\n${defines.split('\n').slice(0, n).join('\n')}\n#ifdef _WIN32\n#define FMT_WIN 1\n#endif\n#endif\n`, opts);
    const named = new Set(header.flatMap((c) => c.names ?? []));
    for (const want of ['FMT_CORE_H_', 'FMT_OPTION_0', `FMT_OPTION_${n - 1}`, 'FMT_WIN']) assert.ok(named.has(want), `${n} defines: ${want} missing from ${JSON.stringify(header.map((c) => [c.startLine, c.endLine, c.names?.length]))}`);
  }
  // A declaration too big for one chunk (Go's `const (...)` of many names) is cut: each chunk names the constants in it.
  const specs = Array.from({ length: 60 }, (_, i) => `\t// ShellCompDirective${i} is the completion directive number ${i}.\n\tShellCompDirective${i} ShellCompDirective = 1 << ${i}`).join('\n');
  const block = await chunkText('completions.go', `package cobra\n\nconst (\n${specs}\n)\n`, opts);
  assert.ok(block.length > 1, 'the block is cut');
  for (const c of block.filter((k) => /ShellCompDirective\d+ ShellCompDirective/.test(k.text))) {
    const inText = [...c.text.matchAll(/^\tShellCompDirective(\d+) ShellCompDirective/gm)].map((m) => `ShellCompDirective${m[1]}`);
    assert.deepEqual(c.names, inText, `${c.startLine}-${c.endLine}`);
  }
  // A function too big for one chunk is cut into statement groups: its assignments are locals, not names.
  const locals = Array.from({ length: 60 }, (_, i) => `    value_${i} = compute_the_next_value(previous_value, ${i}, options)`).join('\n');
  const big = await chunkText('big.py', `def build(options):\n${locals}\n    return value_59\n`, opts);
  assert.ok(big.length > 1, 'the function is cut');
  assert.deepEqual(big.flatMap((c) => c.names ?? []), []);
});

test('chunking: when a group of small definitions fills up, the clauses of one function are not cut apart', async () => {
  const clauses = `  defp sigil_args([], _fun), do: ""\n  defp sigil_args(args, fun) when is_list(args), do: fun.(args, List.to_string(args))\n  defp sigil_args(args, fun), do: fun.(args, inspect(args))\n`;
  // However many one-liners come before them, the group boundary never falls between the three clauses.
  for (let n = 1; n <= 24; n++) {
    const fillers = Array.from({ length: n }, (_, i) => `  defp delimiter_${i}(str), do: {str, str, ${i}}`).join('\n');
    const chunks = await chunkText('macro.ex', `defmodule Macro do\n${fillers}\n\n${clauses}end\n`, opts);
    const holding = chunks.filter((c) => c.text.includes('defp sigil_args'));
    assert.equal(holding.length, 1, `${n} fillers: ${JSON.stringify(chunks.map((c) => [c.symbol, c.startLine, c.endLine]))}`);
    assert.equal((holding[0].text.match(/defp sigil_args/g) ?? []).length, 3);
  }
});

for (const s of SHAPES) {
  test(`chunking: ${s.name}`, async () => {
    const chunks = await chunkText(s.file, s.source, opts);
    for (const [symbol, first] of s.expect) {
      const c = chunkOf(chunks, symbol);
      assert.ok(c.text.trimStart().startsWith(first), `${symbol} starts with ${JSON.stringify(c.text.slice(0, 40))}, expected ${first}`);
    }
  });
}

test('chunking: setext Markdown headings (=== and ---) cut sections like # headings', async () => {
  const md = `Express\n=======\n\nFast web framework.\n\nInstallation\n------------\n\nRun npm install.\n\n- a list item\n---\n\nSecurity\n--------\n\nReport issues privately.\n`;
  const chunks = await chunkText('Readme.md', md, opts);
  assert.deepEqual(
    chunks.map((c) => [c.symbol, c.startLine]),
    [
      ['Express', 1],
      ['Express > Installation', 6],
      ['Express > Security', 14],
    ],
  );
});

test('chunking: reStructuredText sections (overlined and underlined titles, levels by first use) cut like Markdown', async () => {
  const rst = [
    '=====',
    'Flask',
    '=====',
    '',
    'A lightweight web framework.',
    '',
    'Installation',
    '------------',
    '',
    'Use pip to install it.',
    '',
    'Quickstart',
    '----------',
    '',
    'A minimal application::',
    '',
    '    app = Flask(__name__)',
    '',
    'Routing',
    '~~~~~~~',
    '',
    'Use the route decorator.',
  ].join('\n');
  const chunks = await chunkText('docs/index.rst', rst, opts);
  assert.deepEqual(
    chunks.map((c) => [c.symbol, c.startLine]),
    [
      ['Flask', 1],
      ['Flask > Installation', 7],
      ['Flask > Quickstart', 12],
      ['Flask > Quickstart > Routing', 19],
    ],
  );
});

test('chunking: a comment after code on its line (`{ // goto block start`) stays with that line, not with the statement below', async () => {
  // A function too big for one chunk whose first statement is cut too: its first chunk holds the signature.
  const branches = Array.from({ length: 12 }, (_, i) => `  } else if (xor < (1 << ${i + 10})) {\n    display${i} = new Array(32);\n    display${i}[(index >> ${i}) & 31] = display0;`).join('\n');
  const fn = `function gotoNextBlockStartWritable(index, xor) { // goto block start pos\n  if (xor < (1 << 5)) {\n    display0 = new Array(32);\n${branches}\n  }\n  return depth;\n}\n`;
  for (const doc of ['// USED BY BUILDER\n\n// xor: oldIndex ^ index\n', '// xor: oldIndex ^ index\n']) {
    const chunks = await chunkText('vector.js', doc + fn, opts);
    assert.ok(chunks.length > 2, 'the function is cut');
    assert.match(chunkOf(chunks, 'gotoNextBlockStartWritable').text, /function gotoNextBlockStartWritable\(index, xor\)/);
    // A one-line comment cut off on its own is still a chunk: its words are searched (only a closing label is not).
    assert.ok(chunks.some((c) => c.text.includes('// xor: oldIndex ^ index')), JSON.stringify(chunks.map((c) => [c.startLine, c.endLine])));
  }
  // A definition's last line ending in a comment (`return value  # type: ignore`) is still the definition's.
  const methods = `class Flask:\n    def get_send_file_max_age(self, filename):\n${body('max_age', '        ', '#')}\n        return value  # type: ignore[no-any-return]\n\n    def send_static_file(self, filename):\n${body('static', '        ', '#')}\n        return send_from_directory(filename)\n`;
  const cut = await chunkText('app.py', methods, { ...opts, maxTokens: 120 });
  assert.match(chunkOf(cut, 'Flask.get_send_file_max_age').text, /return value {2}# type: ignore/, JSON.stringify(cut.map((c) => [c.symbol, c.startLine, c.endLine])));
  assert.doesNotMatch(chunkOf(cut, 'Flask.send_static_file').text, /return value/);
  // And a trailing comment between two statements is the first one's.
  const py = `MAX_DEPTH = 6  # levels of the trie\ndef walk(node):\n${body('walk', '    ', '#')}\n    return node\n`;
  const walk = chunkOf(await chunkText('trie.py', py, opts), 'walk');
  assert.ok(!walk.text.includes('MAX_DEPTH'), walk.text);
});

test('chunking: a script without a telling extension is cut on the syntax its #! line, mode line or name announces', async () => {
  const fn = (name: string): string => `${name}()\n{\n${body(name, '    ', '#')}\n    COMPREPLY=($(compgen -W "--help --version" -- "$cur"))\n}\n`;
  for (const [file, text] of [
    ['bin/deploy', `#!/usr/bin/env bash\n\n${fn('_deploy_targets')}`],
    ['completions/abook', `# abook(1) completion                 -*- shell-script -*-\n\n${fn('_abook')}\ncomplete -F _abook abook\n`],
    ['completions/tshark', `${fn('_tshark')}\n# ex: filetype=sh\n`],
    ['.bashrc', fn('_prompt_git')],
  ]) {
    const chunks = await chunkText(file, text, opts);
    assert.ok(chunks.some((c) => c.symbol?.startsWith('_')), `${file}: ${JSON.stringify(chunks.map((c) => [c.symbol, c.startLine]))}`);
  }
  const py = await chunkText('scripts/release', `#!/usr/bin/env -S python3 -u\n"""Cut a release."""\n\ndef bump_version(part):\n${body('bump', '    ', '#')}\n    return part\n`, opts);
  assert.ok(py.some((c) => c.symbol === 'bump_version'), JSON.stringify(py.map((c) => c.symbol)));
  const stub = await chunkText('stubs/migration.stub', `<?php\n\nclass CreateUsersTable extends Migration\n{\n    public function up()\n    {\n${body('up', '        ')}\n    }\n}\n`, opts);
  assert.ok(stub.some((c) => c.symbol?.endsWith('up')), JSON.stringify(stub.map((c) => c.symbol)));
  const bzl = await chunkText('tools/defs.bzl', `def kindred_library(name, srcs):\n${body('rule', '    ', '#')}\n    native.cc_library(name = name, srcs = srcs)\n`, opts);
  assert.ok(bzl.some((c) => c.symbol === 'kindred_library'), JSON.stringify(bzl.map((c) => c.symbol)));
  // A file that announces nothing is cut in line windows, as before.
  assert.ok((await chunkText('LICENSE', 'Permission is hereby granted, free of charge\n'.repeat(3), opts)).every((c) => c.symbol === undefined));
});

test('chunking: a shell syntax error that swallows the rest of the file stays inside its own function (bash-completion)', async () => {
  // tree-sitter-bash reads `[^]]*` inside a `[[ =~ ]]` regex as the start of a string: every function after it was lost.
  const broken = `_variables()\n{\n    if [[ $cur =~ ^(\\$\\{[#!]?)([A-Za-z0-9_]*)\\[([^]]*)$ ]]; then\n        COMPREPLY+=($(compgen -W "$(eval echo \\$\\{!$BASH_REMATCH[2]\\[@\\]\\})" -- "\${BASH_REMATCH[3]}"))\n        return 0\n    fi\n}\n`;
  const after = ['_init_completion', '_expand', '_filedir_xspec'].map((n) => `\n# ${n}: what it does\n${n}()\n{\n${body(n, '    ', '#')}\n    local cur="\${COMP_WORDS[COMP_CWORD]}"\n}\n`).join('');
  const chunks = await chunkText('share/bash_completion.sh', `#!/bin/bash\n${broken}${after}`, opts);
  for (const n of ['_init_completion', '_expand', '_filedir_xspec']) chunkOf(chunks, n);
});

test('chunking: C/C++ macros — a line holding only a macro name (FMT_BEGIN_NAMESPACE) does not swallow what follows; a macro defined in a function is named', async () => {
  // The grammar does not expand macros: it read `FMT_BEGIN_NAMESPACE namespace detail {…}` as a function named
  // `namespace detail`, and abseil's `ABSL_NAMESPACE_BEGIN class Notification` as a class named `class Notification`.
  const method = (name: string): string => `  void ${name}() {\n${body(name, '    ')}\n  }\n`;
  const fmt = `#include "core.h"\n\nFMT_BEGIN_NAMESPACE\n\nnamespace detail {\nstruct node {\n${method('push')}};\n}  // namespace detail\n\nclass dynamic_store {\n${method('reserve')}${method('clear')}};\n\nFMT_END_NAMESPACE\n`;
  const chunks = await chunkText('args.h', fmt, { ...opts, maxTokens: 120 });
  const symbols = chunks.map((c) => c.symbol);
  assert.ok(symbols.includes('dynamic_store.reserve') && symbols.includes('detail.node.push'), JSON.stringify(symbols));
  assert.ok(!symbols.some((s) => s?.includes('namespace ')), JSON.stringify(symbols));
  const absl = `namespace absl {\nABSL_NAMESPACE_BEGIN\n\nclass Notification {\n public:\n${method('Notify')}${method('WaitForNotification')}};\n\nABSL_NAMESPACE_END\n}  // namespace absl\n`;
  const named = (await chunkText('notification.h', absl, { ...opts, maxTokens: 120 })).map((c) => c.symbol);
  assert.ok(named.includes('absl.Notification.Notify'), JSON.stringify(named));
  // A macro defined inside a function body is no local: it is named where it is defined (fmt's `FMT_INC`), in a
  // function that fits one chunk and in one cut into several.
  for (const lines of [2, 30]) {
    const fn = `auto do_count_digits(uint32_t n) -> int {\n#  define FMT_INC(T) (((sizeof(#T) - 1ull) << 32) - T)\n  static constexpr uint64_t table[] = {FMT_INC(0), FMT_INC(10)};\n${body('count', '  ', '//', lines)}\n  return n;\n}\n`;
    const got = await chunkText('format.h', fn, { ...opts, maxTokens: 120 });
    assert.ok(got.some((k) => k.names?.includes('FMT_INC') && k.startLine <= 2 && k.endLine >= 2), JSON.stringify(got.map((k) => [k.symbol, k.startLine, k.endLine, k.names])));
  }
  // A return type on its own line (Ruby's C `VALUE`) is a type, not a macro.
  const c = `static VALUE\nrb_str_length(VALUE str)\n{\n${body('len', '  ')}\n  return str;\n}\n\nVALUE\nrb_str_size(VALUE str)\n{\n${body('size', '  ')}\n  return str;\n}\n`;
  const cc = await chunkText('string.c', c, opts);
  assert.ok(cc.some((k) => k.symbol === 'rb_str_size'), JSON.stringify(cc.map((k) => k.symbol)));
  assert.ok(cc.some((k) => k.symbol === 'rb_str_length'), JSON.stringify(cc.map((k) => k.symbol)));
});
