/**
 * A file's own one-line description, read from its head: a Python module docstring, Rust `//!` docs, Go's
 * package comment, a leading doc comment (not a licence header), or the doc comment of the file's main
 * type in Java-like languages. Its first sentence goes into the embedded header of every other chunk of
 * the file (src/core/chunking/embedText.ts), so a method can match what its file is for.
 */

/** Words past this are cut: the summary is context for a chunk, not the chunk. */
const MAX_WORDS = 24;
/** Only the head of a file is read. */
const HEAD_LINES = 80;
/** ...except for a main type's doc comment after a licence and imports. */
const TYPE_DOC_LINES = 400;
/** A description is read from the first characters of a comment (a one-line minified file is one huge line). */
const HEAD_CHARS = 4000;

const LICENCE = /\b(?:copyright|licen[cs]ed?|spdx-license|permission is hereby granted|all rights reserved|warranty)\b|\(c\)\s*\d{4}/i;
const FILE_TAG = /@(?:file|fileoverview|module|packageDocumentation|overview)\b/;
/** A package line or a type declaration: a comment right above one describes the file. */
const MAIN_DECLARATION = /^\s*(?:package\s|module\s|namespace\s|(?:export\s+)?(?:default\s+)?(?:(?:public|final|abstract|sealed|open)\s+)*(?:class|interface|trait|struct|object|protocol|enum)\s)/;
/** Tool directives, JSDoc/PHPDoc tags (`@internal`, `@author`) and notes, not descriptions. */
const DIRECTIVE = /^(?:@|#\s*source(?:Mapping)?URL|eslint|tslint|oxlint|biome-|deno-|prettier-|istanbul |c8 |jshint|global |noinspection|nolint|go:\w|\+build|#?region\b|todo\b|fixme\b|xxx\b|see https?:|https?:)/i;
/** File-header boilerplate: who wrote it, which package it belongs to. */
const BOILERPLATE = /^(?:this (?:source )?file is (?:a )?part of|(?:authors?|maintainers?|created by|written by)\b)/i;
/** Labels of an import block ("Module dependencies."), not of the file. */
const IMPORTS = /^(?:module )?(?:dependencies|imports?|requires?|exports?)\b/i;
/** Lines that may come before a file's description: shebangs, encodings, pragmas, `<?php`, `package` and `use strict`. */
const PREAMBLE = /^\s*(?:#!|#\s*-\*-|#\s*(?:frozen_string_literal|typed|encoding|coding)\b|<\?php|['"]use (?:strict|client|server)['"];?\s*$|declare\s*\(strict_types)/;

/** The first sentence of a comment's text, markers stripped; undefined if nothing describes the file. */
function firstSentence(raw: string): string | undefined {
  const text = raw
    .slice(0, HEAD_CHARS)
    .split('\n')
    .map((l) => l.replace(/^\s*(?:\/\/[/!]?|\/\*+!?|\*+\/?|#+|--+|;+)?\s?/, '').replace(/\*+\/\s*$/, ''))
    .join('\n')
    .trim()
    // A JSDoc file tag introduces the description; a module tag only names the module.
    .replace(/^@(?:file|fileoverview|overview|packageDocumentation)\b\s*|^@module\s+\S+\s*/, '');
  // The first paragraph, up to the first sentence end; tags (`@module x`, `:param`), a reStructuredText heading's
  // underline (which ends the sentence) and markup are dropped.
  const paragraphs = text.split(/\n\s*\n|\n\s*[@:]\w|\n\s*(?:={3,}|~{3,}|\^{3,}|\*{3,}|#{3,}|-{3,})\s*(?:\n|$)/);
  // A title that only names the module (`requests.sessions` over a `~~~` underline) is followed by the description.
  const first = /^[\w.-]+$/.test(paragraphs[0].trim()) && paragraphs.length > 1 ? paragraphs.slice(1).find((p) => p.trim()) ?? '' : paragraphs[0];
  const para = first
    .replace(/https?:\/\/\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const sentence = (para.match(/^.*?[.!?](?=\s|$)/)?.[0] ?? para).replace(/[`*]|\{@\w+\s+([^}]*)\}/g, '$1').trim();
  const letters = sentence.replace(/[^\p{L}]/gu, '').length;
  // ASCII art and rulers (`__| |  JSON for Modern C++`, `//////// TYPES ////`) are mostly not letters.
  if (letters < 0.7 * sentence.replace(/\s/g, '').length) return undefined;
  if (sentence.length < 8 || LICENCE.test(sentence) || DIRECTIVE.test(sentence) || BOILERPLATE.test(sentence) || IMPORTS.test(sentence) || !/[a-z]{3}/i.test(sentence)) return undefined;
  const words = sentence.split(' ');
  return words.length > MAX_WORDS ? `${words.slice(0, MAX_WORDS).join(' ')} …` : sentence;
}

/** Leading comment blocks of a file's head, in order, with the line each ends on. */
function leadingComments(lines: string[]): { text: string; end: number; next: string }[] {
  const out: { text: string; end: number; next: string }[] = [];
  let i = 0;
  const n = Math.min(lines.length, HEAD_LINES);
  while (i < n) {
    const line = lines[i];
    if (!line.trim() || PREAMBLE.test(line)) {
      i++;
      continue;
    }
    const block = /^\s*\/\*/.test(line);
    const lineComment = /^\s*(?:\/\/|#(?!\[|include|define|if|pragma|import)|--)/.test(line);
    if (!block && !lineComment) break;
    const start = i;
    if (block) {
      while (i < n && !lines[i].includes('*/')) i++;
    } else {
      const marker = line.trim().startsWith('#') ? '#' : line.trim().startsWith('--') ? '--' : '//';
      while (i + 1 < n && lines[i + 1].trim().startsWith(marker)) i++;
    }
    out.push({ text: lines.slice(start, i + 1).join('\n'), end: i + 1, next: lines[i + 1] ?? '' });
    i++;
  }
  return out;
}

export interface FileSummary {
  text: string;
  /** Last line of the comment it comes from (1-based): the chunk holding it needs no header copy. */
  line: number;
}

export function fileSummary(relPath: string, text: string): FileSummary | undefined {
  const ext = relPath.slice(relPath.lastIndexOf('.') + 1).toLowerCase();
  if (/^(?:md|mdx|markdown|rst|txt|adoc|json|ya?ml|toml|lock|csv|html?|xml|svg|css|scss)$/.test(ext)) return undefined;
  const lines = text.split(/\r?\n/, TYPE_DOC_LINES);
  if (ext === 'py' || ext === 'pyi' || ext === 'pyx') {
    // A module docstring: the first statement, after comments.
    let i = 0;
    while (i < lines.length && (!lines[i].trim() || lines[i].trim().startsWith('#'))) i++;
    const m = lines[i]?.match(/^[rRuU]?("""|''')/);
    if (!m) return undefined;
    const start = i;
    const rest = lines[i].slice(lines[i].indexOf(m[1]) + 3);
    let body = rest;
    if (!rest.includes(m[1])) {
      while (++i < lines.length && !lines[i].includes(m[1])) body += `\n${lines[i]}`;
      body += `\n${(lines[i] ?? '').split(m[1])[0]}`;
    } else body = rest.split(m[1])[0];
    const s = firstSentence(body);
    return s ? { text: s, line: Math.max(start, i) + 1 } : undefined;
  }
  const comments = leadingComments(lines);
  if (ext === 'rs') {
    // `//!` or `/*!` inner docs describe the module.
    const inner = comments.find((c) => /^\s*(?:\/\/!|\/\*!)/.test(c.text));
    const s = inner && firstSentence(inner.text);
    return s ? { text: s, line: inner.end } : undefined;
  }
  for (const c of comments) {
    // A comment right above a function documents that function, not the file: it counts when a blank line
    // follows, when it says so (`@file`, `@module`), or when it documents the package or the main type.
    const describesFile = !c.next.trim() || FILE_TAG.test(c.text) || MAIN_DECLARATION.test(c.next);
    const s = describesFile ? firstSentence(c.text) : undefined;
    if (s) return { text: s, line: c.end };
  }
  if (/^(?:java|kt|kts|scala|cs|swift|groovy|php)$/.test(ext)) {
    // The doc comment of the file's main type (after the licence, package and imports).
    const head = lines.join('\n').slice(0, HEAD_CHARS * 16);
    const m = head.match(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*(?:@\w+(?:\([^)]*\))?\s*)*(?:(?:public|internal|final|abstract|sealed|open|data|static|readonly)\s+)*(?:class|interface|enum|record|object|trait|struct|protocol)\s/);
    const s = m && firstSentence(m[1]);
    if (s) return { text: s, line: head.slice(0, (m.index ?? 0) + m[0].length).split('\n').length };
  }
  return undefined;
}

/** The context a chunk embeds: the file's summary, unless the chunk holds the summary's text itself. */
export function contextFor(summary: FileSummary | undefined, chunk: { startLine: number; endLine: number }): string | undefined {
  return summary && (chunk.startLine > summary.line || chunk.endLine < summary.line) ? summary.text : undefined;
}
