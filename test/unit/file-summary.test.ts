/**
 * A file's own description (src/core/chunking/fileSummary.ts), read from heads written the way real projects
 * write them, and the chunks that carry it in their embedded header (not in their text).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fileSummary } from '../../src/core/chunking/fileSummary';
import { chunkText } from '../../src/core/chunking/chunker';
import { embeddingText } from '../../src/core/chunking/embedText';
import { blankRanges, minePairs } from '../../src/core/eval/workspace';

const APACHE = `/*
 * Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  See the NOTICE file distributed with
 * this work for additional information regarding copyright ownership.
 */`;

const CASES: { name: string; file: string; source: string; want: string | undefined }[] = [
  {
    name: 'Python module docstring after a comment',
    file: 'aiohttp/client_ws.py',
    source: '# mypy: disallow-any-generics\n"""WebSocket client for asyncio."""\n\nimport asyncio\n',
    want: 'WebSocket client for asyncio.',
  },
  {
    name: 'Python multi-line docstring: the first sentence only',
    file: 'pydantic/fields.py',
    source: '"""Defining fields on models. Fields carry defaults,\naliases and constraints.\n\nMore text.\n"""\nfrom __future__ import annotations\n',
    want: 'Defining fields on models.',
  },
  {
    name: 'Rust inner doc comment',
    file: 'tokio/src/task/local.rs',
    source: '//! Runs `!Send` futures on the current thread.\nuse crate::loom::cell::UnsafeCell;\n',
    want: 'Runs !Send futures on the current thread.',
  },
  {
    name: 'Rust outer doc comment documents the item, not the file',
    file: 'src/lib.rs',
    source: '/// A handle to the runtime.\npub struct Handle {}\n',
    want: undefined,
  },
  {
    name: 'Go package comment after a licence',
    file: 'gin.go',
    source: '// Copyright 2014 Manu Martinez-Almeida. All rights reserved.\n// Use of this source code is governed by a MIT style license.\n\n// Package gin implements a HTTP web framework called gin.\npackage gin\n',
    want: 'Package gin implements a HTTP web framework called gin.',
  },
  {
    name: "Java: the main type's Javadoc after the licence, package and imports",
    file: 'org/apache/commons/lang3/tuple/Pair.java',
    source: `${APACHE}\npackage org.apache.commons.lang3.tuple;\n\nimport java.io.Serializable;\n\n/**\n * A pair consisting of two elements.\n *\n * @param <L> the left element type\n */\npublic abstract class Pair<L, R> implements Serializable {\n}\n`,
    want: 'A pair consisting of two elements.',
  },
  {
    name: 'a licence alone describes nothing',
    file: 'src/Util.java',
    source: `${APACHE}\npackage x;\n\nclass Util {}\n`,
    want: undefined,
  },
  {
    name: 'TypeScript: a doc comment right above a function is that function’s',
    file: 'src/retry.ts',
    source: '/** Retries the call up to n times. */\nexport function retry() {}\n',
    want: undefined,
  },
  {
    name: 'TypeScript: a leading comment followed by a blank line describes the file',
    file: 'src/utils/serialization.ts',
    source: "/**\n * Serialization support utils.\n */\n\nimport { x } from './x';\n",
    want: 'Serialization support utils.',
  },
  {
    name: 'tool directives are not descriptions',
    file: 'src/types/vite.ts',
    source: "/* eslint-disable unused-imports/no-unused-vars */\n\nimport type { Plugin } from 'vite';\n",
    want: undefined,
  },
  {
    name: 'Ruby comment above the main class, after the magic comment',
    file: 'lib/rack/request.rb',
    source: '# frozen_string_literal: true\n\n# Rack::Request provides a convenient interface to a Rack environment.\nmodule Rack\nend\n',
    want: 'Rack::Request provides a convenient interface to a Rack environment.',
  },
  {
    name: 'a reStructuredText title that only names the module is followed by the description',
    file: 'requests/sessions.py',
    source: '"""\nrequests.sessions\n~~~~~~~~~~~~~~~~~\n\nThis module provides a Session object to manage and persist settings across\nrequests (cookies, auth, proxies).\n"""\nimport os\n',
    want: 'This module provides a Session object to manage and persist settings across requests (cookies, auth, proxies).',
  },
  {
    name: 'a doc tag alone (`@internal`) is not a description',
    file: 'src/Handler/HeaderProcessor.php',
    source: '<?php\n\nnamespace GuzzleHttp\\Handler;\n\n/**\n * @internal\n */\nfinal class HeaderProcessor\n{\n}\n',
    want: undefined,
  },
  {
    name: 'a source map comment is not a description',
    file: 'build/polyfill/index.js',
    source: '// noop\n\n//# sourceMappingURL=index.js.map\n',
    want: undefined,
  },
  {
    name: 'Markdown has headings, not a summary',
    file: 'README.md',
    source: '<!-- Project notes. -->\n# Title\n',
    want: undefined,
  },
];

for (const c of CASES) {
  test(`file summary: ${c.name}`, () => {
    assert.equal(fileSummary(c.file, c.source)?.text, c.want);
  });
}

test('a long first sentence is cut to 24 words', () => {
  const words = Array.from({ length: 40 }, (_, i) => ['parse', 'the', 'request', 'body'][i % 4]).join(' ');
  const s = fileSummary('m.py', `"""${words}."""\n`)!.text;
  assert.equal(s.split(' ').length, 25);
  assert.ok(s.endsWith('…'));
});

test('every chunk but the one holding the docstring carries the summary in its embedded header, not in its text', async () => {
  const fns = Array.from({ length: 4 }, (_, i) => `def handler_${i}(request):\n    """Handle request kind ${i}."""\n${'    value = request.read()\n'.repeat(12)}    return value\n`).join('\n\n');
  const source = `"""WebSocket client for asyncio."""\n\nimport asyncio\n\n\n${fns}`;
  const chunks = await chunkText('client_ws.py', source, { maxTokens: 120, countTokens: (t) => t.split(/\s+/).length });
  assert.ok(chunks.length >= 3, `expected several chunks, got ${chunks.length}`);
  const holder = chunks.find((c) => c.startLine <= 1 && c.endLine >= 1)!;
  assert.equal(holder.context, undefined);
  for (const c of chunks.filter((x) => x !== holder)) {
    assert.equal(c.context, 'WebSocket client for asyncio.');
    assert.ok(!c.text.includes('WebSocket client'), 'the summary is not copied into the text');
    assert.match(embeddingText('client_ws.py', c), /^client_ws\.py \S+ \(WebSocket client for asyncio\.\)\n/);
  }
});

test('a huge one-line comment gives a 24-word description', () => {
  const s = fileSummary('bundle.java', `/* ${'parse the request body '.repeat(200_000)}*/\n`)!.text;
  assert.equal(s.split(' ').length, 25);
});

test('text past the first 4,000 characters of a comment is not read', () => {
  // The cap, not the 24-word cut, decides here: one 5,000-letter word comes before the words that would follow it.
  const s = fileSummary('bundle.java', `/* ${'x'.repeat(5000)} describes the file. */\n`)!.text;
  assert.ok(!s.includes('describes') && s.length <= 4000, `${s.length} characters: ${s.slice(-30)}`);
});

test('a mined doc comment, blanked for evaluation, leaves no description behind (no query text in other headers)', async () => {
  // A doc comment with a blank line before its function reads as the file's description and is also a mined pair.
  const source = '/**\n * Parses the request body into JSON for the handlers.\n */\n\nexport function parse(body: string) {\n  return JSON.parse(body);\n}\n';
  assert.equal(fileSummary('parse.ts', source)?.text, 'Parses the request body into JSON for the handlers.');
  const pairs = await minePairs('parse.ts', source);
  assert.deepEqual(pairs.map((p) => p.query), ['Parses the request body into JSON for the handlers.']);
  const blanked = blankRanges(source, pairs.map((p) => ({ start: p.commentStart, end: p.commentEnd })));
  assert.equal(fileSummary('parse.ts', blanked), undefined);
});
