/**
 * The chunker with a byte-level BPE tokenizer (GPT-2's scheme: every byte a symbol, so a newline is a
 * token of its own). Per-line token sums then undercount every multi-line window; the chunker must still
 * terminate, keep every chunk within the budget and cover every line (issue 12: it used to recurse until
 * the stack overflowed and silently skip the file).
 */
import { before, after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chunkText } from '../../src/core/chunking/chunker';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { removeTree } from '../helpers/fixtures';

/** GPT-2's reversible byte → printable character table. */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCodePoint(cs[i])]));
}

let dir: string;
let tok: { count(text: string): number };
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kindred-bpe-'));
  const model = path.join(dir, 'byte-bpe');
  mkdirSync(model);
  const table = bytesToUnicode();
  const vocab = Object.fromEntries([...Array(256).keys()].map((b) => [table.get(b)!, b]));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  writeFileSync(
    path.join(model, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: null,
      decoder: byteLevel,
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
    }),
  );
  writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'GPT2Tokenizer', model_max_length: 1024 }));
  writeFileSync(path.join(model, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
  // Loaded from the folder as transformers.js loads any local tokenizer (nothing is fetched).
  env.allowRemoteModels = false;
  env.localModelPath = dir;
  const t = await AutoTokenizer.from_pretrained('byte-bpe');
  tok = { count: (text) => t.encode(text, { add_special_tokens: false }).length };
});

after(() => removeTree(dir));

test('byte-level BPE counts a newline as a token, so line sums undercount a window', () => {
  assert.equal(tok.count('ab\ncd'), tok.count('ab') + tok.count('cd') + 1);
});

for (const [name, file, text] of [
  ['plain text windows', 'notes.txt', Array.from({ length: 300 }, (_, i) => `l${i} x`).join('\n')],
  ['a big function split into statement groups', 'big.ts', `function big() {\n${Array.from({ length: 300 }, (_, i) => `  a${i}();`).join('\n')}\n}\n`],
  ['Markdown sections', 'doc.md', `# Title\n\n${Array.from({ length: 300 }, (_, i) => `w${i}`).join('\n')}\n`],
] as const) {
  test(`chunking terminates with a byte-level BPE tokenizer: ${name}`, async () => {
    const maxTokens = 40;
    const chunks = await chunkText(file, text, { maxTokens, countTokens: (t) => tok.count(t) });
    const lines = text.split('\n');
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    const covered = new Set<number>();
    for (const c of chunks) {
      assert.ok(tok.count(c.text) <= maxTokens, `chunk ${c.startLine}-${c.endLine} has ${tok.count(c.text)} tokens`);
      for (let l = c.startLine; l <= c.endLine; l++) covered.add(l);
    }
    lines.forEach((l, i) => {
      if (/[A-Za-z0-9]/.test(l)) assert.ok(covered.has(i + 1), `line ${i + 1} (${l}) not covered`);
    });
  });
}
