import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_MODEL_ID } from '../../src/core/embedding/models';
import { ModelRuntime } from '../../src/core/embedding/runtime';
import { blankRanges, commentToQuery, evaluateWorkspace, minePairs, workspaceRankings } from '../../src/core/eval/workspace';
import { defaultModelsDir } from '../../src/core/paths';
import { makeTree, removeTree } from '../helpers/fixtures';

test('a doc comment becomes its summary: markers, tags and sections stripped', () => {
  assert.equal(commentToQuery('/**\n * Reads a file\n * from disk.\n *\n * More detail here.\n * @param p the path\n */'), 'Reads a file from disk.');
  assert.equal(commentToQuery('/** Links {@link Foo} to the bar. @returns x */'), 'Links Foo to the bar. @returns x');
  assert.equal(commentToQuery('"""Upload a payload, retrying.\n\n    Args:\n        url: where\n    """'), 'Upload a payload, retrying.');
  assert.equal(commentToQuery("'''Split bytes into pieces.\n    Returns:\n      list\n    '''"), 'Split bytes into pieces.');
  assert.equal(commentToQuery('/// Sends a GET request.\n/// # Examples\n/// ```'), 'Sends a GET request.');
  assert.equal(commentToQuery('// IsPrime reports whether n is prime.\n// It uses trial division.'), 'IsPrime reports whether n is prime. It uses trial division.');
});

test('documented functions are found in each language; undocumented and plain-comment ones are not', async () => {
  const ts = [
    'import x from "y";',
    '',
    '/** Reads the whole contents of a text file. */',
    'export function readText(p: string): string {',
    '  return x(p);',
    '}',
    '',
    '// not a doc comment: plain line comment before a function',
    'function plain(): void {',
    '  return;',
    '}',
    '',
    'class Cache {',
    '  /**',
    '   * Evicts the least recently used entry.',
    '   */',
    '  evict(): void {',
    '    this.map.delete(this.oldest);',
    '  }',
    '}',
    '',
    '/** Formats a date as an ISO day string. */',
    'export const formatDay = (d: Date) => d.toISOString().slice(0, 10);',
  ].join('\n');
  const pairs = await minePairs('src/a.ts', ts);
  assert.deepEqual(
    pairs.map((p) => [p.symbol, p.startLine, p.endLine, p.query]),
    [
      ['readText', 4, 6, 'Reads the whole contents of a text file.'],
      ['evict', 17, 19, 'Evicts the least recently used entry.'],
      ['formatDay', 23, 23, 'Formats a date as an ISO day string.'],
    ],
  );
  assert.ok(ts.slice(pairs[0].commentStart, pairs[0].commentEnd).startsWith('/** Reads'));

  const py = 'def chunk(data, size):\n    """Split a byte string into pieces."""\n    return [data[i:i + size] for i in range(0, len(data), size)]\n\ndef bare(x):\n    return x\n';
  const pyPairs = await minePairs('m.py', py);
  assert.deepEqual(pyPairs.map((p) => [p.symbol, p.startLine, p.endLine, p.query]), [['chunk', 1, 3, 'Split a byte string into pieces.']]);

  const go = 'package m\n\n// IsPrime reports whether n is a prime number.\nfunc IsPrime(n int) bool {\n\treturn n > 1\n}\n';
  assert.deepEqual((await minePairs('m.go', go)).map((p) => [p.symbol, p.startLine, p.query]), [['IsPrime', 4, 'IsPrime reports whether n is a prime number.']]);

  const rs = '/// Sends a plain HTTP GET request.\n/// Returns the body.\npub fn http_get(host: &str) -> String {\n    String::new()\n}\n\n// plain comment here\nfn other() {}\n';
  assert.deepEqual((await minePairs('m.rs', rs)).map((p) => [p.symbol, p.startLine, p.query]), [['http_get', 3, 'Sends a plain HTTP GET request. Returns the body.']]);

  const java = 'class R {\n  /** Looks up a user by email address. */\n  public User find(String e) {\n    return null;\n  }\n}\n';
  assert.deepEqual((await minePairs('R.java', java)).map((p) => [p.symbol, p.startLine, p.query]), [['find', 3, 'Looks up a user by email address.']]);

  const cs = 'class R {\n  /// <summary>Counts the words in a line.</summary>\n  public int Count(string s) {\n    return 0;\n  }\n}\n';
  assert.deepEqual((await minePairs('R.cs', cs)).map((p) => [p.symbol, p.startLine]), [['Count', 3]]);

  assert.deepEqual(await minePairs('notes.md', '# Title\n\nSome text.'), []);
});

test('blanking a comment keeps every line and column', () => {
  const text = 'a\n/** doc\n * more */\nfunction f() {}\n';
  const start = text.indexOf('/**');
  const end = text.indexOf('*/') + 2;
  const out = blankRanges(text, [{ start, end }]);
  assert.equal(out.length, text.length);
  assert.deepEqual(
    out.split('\n').map((l) => l.trim()),
    ['a', '', '', 'function f() {}', ''],
  );
});

let folder: string;
let runtime: ModelRuntime;

before(async () => {
  folder = makeTree({
    'src/files.ts': [
      '/** Reads the whole contents of a text file from disk and returns it as a string. */',
      'export function readTextFile(filePath: string): string {',
      '  if (!existsSync(filePath)) throw new Error(`missing ${filePath}`);',
      "  return readFileSync(filePath, 'utf8');",
      '}',
      '',
      '/** Serialises a value as pretty-printed JSON and writes it to a file. */',
      'export function writeJsonFile(filePath: string, value: unknown): void {',
      '  const json = JSON.stringify(value, null, 2);',
      "  writeFileSync(filePath, json + '\\n');",
      '}',
    ].join('\n'),
    'src/math.go': [
      'package mathutils',
      '',
      '// IsPrime reports whether n is a prime number using trial division.',
      'func IsPrime(n int) bool {',
      '\tif n < 2 {',
      '\t\treturn false',
      '\t}',
      '\tfor d := 2; d*d <= n; d++ {',
      '\t\tif n%d == 0 {',
      '\t\t\treturn false',
      '\t\t}',
      '\t}',
      '\treturn true',
      '}',
    ].join('\n'),
    'src/upload.py': [
      'import time',
      'import requests',
      '',
      'def upload_with_retry(url, payload, attempts=5):',
      '    """Upload a payload, retrying failed uploads with exponential backoff."""',
      '    delay = 0.5',
      '    for attempt in range(attempts):',
      '        try:',
      '            return requests.post(url, data=payload, timeout=10)',
      '        except requests.RequestException:',
      '            time.sleep(delay)',
      '            delay *= 2',
      '    raise RuntimeError("upload failed")',
    ].join('\n'),
    'README.md': '# Tools\n\nSmall helpers for files, numbers and uploads.\n',
  });
  runtime = await ModelRuntime.start({ modelId: DEFAULT_MODEL_ID, modelsDir: defaultModelsDir(), allowDownload: false, dtype: 'q8' }, 1);
});

after(async () => {
  await runtime?.close();
  if (folder) removeTree(folder);
});

test('workspace evaluation: pairs mined, comments removed from the chunks, every mode scored', async () => {
  const { docs, queries } = await workspaceRankings(folder, runtime, { modes: ['bm25'] });
  assert.equal(queries.length, 4);
  const corpus = docs.map((d) => d.text).join('\n');
  for (const gone of ['Reads the whole contents', 'pretty-printed', 'trial division', 'exponential backoff']) assert.ok(!corpus.includes(gone), gone);
  assert.ok(corpus.includes('readTextFile') && corpus.includes('Small helpers'));

  const report = await evaluateWorkspace(folder, runtime);
  assert.equal(report.dataset, 'workspace');
  assert.equal(report.pairs, 4);
  assert.deepEqual(report.pairsByLanguage, { ts: 2, go: 1, py: 1 });
  assert.equal(report.files, 4);
  assert.equal(report.corpus, docs.length);
  assert.deepEqual(Object.keys(report.modes), ['bm25', 'vector', 'hybrid', 'hybrid+stack']);
  for (const m of Object.values(report.modes)) {
    assert.ok(m.mrr > 0 && m.mrr <= 1);
    assert.ok(m['recall@1'] <= m['recall@5'] && m['recall@5'] <= m['recall@10']);
  }
  // Four distinct topics: plain-English summaries find their function in the top two.
  assert.equal(report.modes.vector!['recall@5'], 1, JSON.stringify(report.modes));
  assert.ok(report.modes.hybrid!.mrr >= 0.75, JSON.stringify(report.modes));
  assert.ok(report.chunksPerSecond! > 0);
});
