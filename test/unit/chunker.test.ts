import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chunkText, type Chunk, type ChunkerOptions } from '../../src/core/chunking/chunker';
import type { Tokenizer } from '../../src/core/embedding/transformers';
import { realTokenizer } from '../helpers/model';

let tok: Tokenizer;
let opts: ChunkerOptions;
before(async () => {
  tok = await realTokenizer();
  opts = { maxTokens: 254, countTokens: (t) => tok.count(t) };
});

function find(chunks: Chunk[], symbol: string): Chunk {
  const c = chunks.find((x) => x.symbol === symbol);
  assert.ok(c, `no chunk for ${symbol}; got ${JSON.stringify(chunks.map((x) => [x.symbol, x.startLine, x.endLine]))}`);
  return c;
}

function body(name: string, lines = 6): string {
  return Array.from({ length: lines }, (_, i) => `  // step ${i} of ${name}: compute the value and keep going`).join('\n');
}

const CASES: { file: string; source: string; symbols: [string, number, number][] }[] = [
  {
    file: 'util.ts',
    source: `import { readFileSync } from 'fs';\n\n/** Reads a file. */\nexport function readConfig(path: string): string {\n${body('readConfig')}\n  return readFileSync(path, 'utf8');\n}\n\nexport class Uploader {\n  retryUpload(n: number) {\n${body('retry')}\n  }\n}\n\nconst double = (x: number) => {\n${body('double')}\n  return x * 2;\n};\n`,
    symbols: [['readConfig', 3, 12], ['Uploader.retryUpload', 14, 22], ['double', 25, 33]],
  },
  {
    file: 'mod.py',
    source: `import os\n\nclass Store:\n    def load(self, path):\n${body('load').replace(/\/\//g, '#')}\n        return open(path).read()\n\n@cache\ndef compute(x):\n${body('compute').replace(/\/\//g, '#')}\n    return x\n`,
    symbols: [['Store.load', 3, 11], ['compute', 13, 21]],
  },
  {
    file: 'main.go',
    source: `package main\n\nfunc Add(a, b int) int {\n${body('Add')}\n\treturn a + b\n}\n\nfunc (s *Server) Serve() error {\n${body('Serve')}\n\treturn nil\n}\n`,
    symbols: [['Add', 3, 11], ['Server.Serve', 13, 21]],
  },
  {
    file: 'lib.rs',
    source: `fn parse(input: &str) -> u32 {\n${body('parse')}\n    0\n}\n\nimpl Parser {\n    fn next(&mut self) {\n${body('next')}\n    }\n}\n`,
    symbols: [['parse', 1, 9], ['impl Parser.next', 11, 19]],
  },
  {
    file: 'App.java',
    source: `public class App {\n  public int size() {\n${body('size')}\n    return 0;\n  }\n}\n`,
    symbols: [['App.size', 1, 10]],
  },
  {
    file: 'buf.c',
    source: `#include <stdio.h>\n\nint buffer_len(const char *s) {\n${body('len')}\n  return 0;\n}\n`,
    symbols: [['buffer_len', 3, 11]],
  },
  {
    file: 'Svc.cs',
    source: `namespace Demo {\n  public class Svc {\n    public void Run() {\n${body('Run')}\n    }\n  }\n}\n`,
    symbols: [['Demo.Svc.Run', 1, 10]],
  },
  {
    file: 'job.rb',
    source: `class Job\n  def perform(args)\n${body('perform').replace(/\/\//g, '#')}\n  end\nend\n`,
    symbols: [['Job.perform', 1, 9]],
  },
  {
    file: 'ctl.php',
    source: `<?php\nfunction render_page($p) {\n${body('render')}\n  return $p;\n}\n`,
    symbols: [['render_page', 2, 10]],
  },
];

for (const c of CASES) {
  test(`tree-sitter chunks ${c.file} on definitions with symbol names and 1-based inclusive lines`, async () => {
    const chunks = await chunkText(c.file, c.source, opts);
    const lines = c.source.split('\n');
    for (const [symbol, start, end] of c.symbols) {
      const ch = find(chunks, symbol);
      assert.deepEqual([ch.startLine, ch.endLine], [start, end], `${symbol} lines`);
      assert.equal(ch.text, lines.slice(start - 1, end).join('\n'));
    }
  });
}

test('a definition too big for the budget is split into parts that each fit and keep the symbol', async () => {
  const big = `export function migrate(db: Db) {\n${Array.from({ length: 120 }, (_, i) => `  db.exec("ALTER TABLE users ADD COLUMN field_${i} TEXT DEFAULT 'value ${i}'");`).join('\n')}\n}\n\nexport function small() {\n${body('small')}\n}\n`;
  const chunks = await chunkText('m.ts', big, opts);
  const parts = chunks.filter((c) => c.symbol === 'migrate');
  assert.ok(parts.length >= 4, `expected several parts, got ${parts.length}`);
  for (const c of chunks) assert.ok(tok.count(c.text) <= opts.maxTokens, `chunk ${c.startLine}-${c.endLine} has ${tok.count(c.text)} tokens`);
  // Together the parts cover the whole body.
  const covered = new Set<number>();
  for (const p of parts) for (let l = p.startLine; l <= p.endLine; l++) covered.add(l);
  for (let l = 2; l <= 121; l++) assert.ok(covered.has(l), `line ${l} not covered`);
  assert.equal(find(chunks, 'small').startLine, 124);
});

test('methods of a big class become their own chunks named Class.method', async () => {
  const methods = Array.from({ length: 8 }, (_, i) => `  method${i}(x: number): number {\n${body(`method${i}`, 5)}\n    return x + ${i};\n  }`).join('\n\n');
  const src = `export class Big {\n${methods}\n}\n`;
  const chunks = await chunkText('big.ts', src, opts);
  for (let i = 0; i < 8; i++) find(chunks, `Big.method${i}`);
});

test('markdown is cut by headings with the heading path as symbol', async () => {
  const md = `# Guide\n\nIntro text.\n\n## Install\n\nRun npm install.\n\n\`\`\`sh\n# not a heading\nnpm i\n\`\`\`\n\n### Linux\n\nUse apt.\n\n## Usage\n\nCall it.\n`;
  const chunks = await chunkText('README.md', md, opts);
  assert.deepEqual(
    chunks.map((c) => [c.symbol, c.startLine, c.endLine]),
    [
      ['Guide', 1, 3],
      ['Guide > Install', 5, 12],
      ['Guide > Install > Linux', 14, 16],
      ['Guide > Usage', 18, 20],
    ],
  );
});

test('a minified one-line file is cut into pieces that fit', async () => {
  const line = Array.from({ length: 3000 }, (_, i) => `var a${i}=function(b){return b*${i}};`).join('');
  const chunks = await chunkText('bundle.js', line, opts);
  assert.ok(chunks.length > 10);
  for (const c of chunks) {
    assert.equal(c.startLine, 1);
    assert.ok(tok.count(c.text) <= opts.maxTokens);
  }
  assert.equal(chunks.map((c) => c.text).join(''), line);
});

test('plain text uses overlapping line windows within the budget', async () => {
  const text = Array.from({ length: 400 }, (_, i) => `line ${i} of the log with some words in it`).join('\n');
  const chunks = await chunkText('notes.txt', text, opts);
  assert.ok(chunks.length > 3);
  for (let i = 1; i < chunks.length; i++) {
    assert.ok(chunks[i].startLine <= chunks[i - 1].endLine, 'windows overlap');
    assert.ok(chunks[i].startLine > chunks[i - 1].startLine, 'windows advance');
  }
  assert.equal(chunks[0].startLine, 1);
  assert.equal(chunks[chunks.length - 1].endLine, 400);
  for (const c of chunks) assert.ok(tok.count(c.text) <= opts.maxTokens);
});

test('a file with syntax errors still chunks', async () => {
  const chunks = await chunkText('broken.ts', `function ok() {\n${body('ok')}\n}\nfunction broken( {\n  let = ;\n`, opts);
  assert.ok(chunks.length >= 1);
  assert.equal(find(chunks, 'ok').startLine, 1);
});
