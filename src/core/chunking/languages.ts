/** Maps files (by extension, name or `#!` line) to the chunking strategy: a tree-sitter grammar, prose cut at headings (Markdown, reStructuredText), or plain line windows. */
import type { ProseFormat } from './headings';

export type Grammar =
  | 'typescript'
  | 'tsx'
  | 'javascript'
  | 'python'
  | 'go'
  | 'rust'
  | 'java'
  | 'cpp'
  | 'c-sharp'
  | 'ruby'
  | 'php'
  | 'bash'
  | 'css'
  | 'kotlin'
  | 'swift'
  | 'scala'
  | 'elixir'
  | 'lua'
  | 'zig'
  | 'haskell';

export type Strategy = { kind: 'tree-sitter'; grammar: Grammar } | { kind: 'prose'; format: ProseFormat } | { kind: 'lines' };

const BY_EXTENSION: Record<string, Grammar> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  py: 'python',
  pyi: 'python',
  pyw: 'python',
  // Starlark (Bazel's build language) is Python's syntax.
  bzl: 'python',
  bazel: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  // C is parsed with the C++ grammar: it accepts C's syntax for the definitions we cut on.
  c: 'cpp',
  h: 'cpp',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  hh: 'cpp',
  hxx: 'cpp',
  cs: 'c-sharp',
  rb: 'ruby',
  rake: 'ruby',
  gemspec: 'ruby',
  ru: 'ruby',
  php: 'php',
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  ksh: 'bash',
  css: 'css',
  kt: 'kotlin',
  kts: 'kotlin',
  swift: 'swift',
  scala: 'scala',
  sc: 'scala',
  ex: 'elixir',
  exs: 'elixir',
  lua: 'lua',
  zig: 'zig',
  hs: 'haskell',
};

/** Files known by their whole name (no extension says what they are). */
const BY_NAME: Record<string, Grammar> = {
  rakefile: 'ruby',
  gemfile: 'ruby',
  guardfile: 'ruby',
  podfile: 'ruby',
  vagrantfile: 'ruby',
  brewfile: 'ruby',
  '.bashrc': 'bash',
  '.bash_profile': 'bash',
  '.bash_login': 'bash',
  '.bash_logout': 'bash',
  '.profile': 'bash',
  '.zshrc': 'bash',
  '.zprofile': 'bash',
  '.zshenv': 'bash',
  '.zlogin': 'bash',
};

/** Interpreters a `#!` line may name (the program's base name, or env's first argument), by the grammar of their scripts. */
const INTERPRETERS: readonly [RegExp, Grammar][] = [
  [/^(?:ba|da|k|z|a)?sh$/, 'bash'],
  [/^python[\d.]*$/, 'python'],
  [/^(?:node(?:js)?|deno|bun)$/, 'javascript'],
  [/^(?:ts-node|tsx)$/, 'typescript'],
  [/^ruby[\d.]*$/, 'ruby'],
  [/^php[\d.]*$/, 'php'],
  [/^lua(?:jit)?[\d.]*$/, 'lua'],
];

/** Mode names of Emacs (`-*- shell-script -*-`, `-*- mode: python -*-`) and vim (`vim: ft=sh`, `ex: filetype=sh`). */
const MODES: Record<string, Grammar> = {
  'shell-script': 'bash',
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  python: 'python',
  ruby: 'ruby',
  js: 'javascript',
  javascript: 'javascript',
  typescript: 'typescript',
  php: 'php',
  lua: 'lua',
};

/**
 * The grammar a script without a telling extension announces: an opening `<?php`, its `#!` line (`#!/usr/bin/env bash`),
 * or an editor mode line near its top or bottom (bash-completion's `# -*- shell-script -*-`, `# ex: filetype=sh`).
 */
export function grammarFromContent(text: string): Grammar | undefined {
  // PHP templates and fragments under other names (Laravel's `.stub`, `.inc`, `.phtml`).
  if (/^\s*<\?php\b/.test(text.slice(0, 200))) return 'php';
  const head = text.slice(0, 400).split(/\r?\n/, 3);
  const bang = /^#!\s*(\S+)(.*)$/.exec(head[0] ?? '');
  if (bang) {
    let program = bang[1].slice(bang[1].lastIndexOf('/') + 1);
    if (program === 'env') program = bang[2].trim().split(/\s+/).find((a) => !a.startsWith('-') && !a.includes('=')) ?? '';
    const found = INTERPRETERS.find(([re]) => re.test(program));
    if (found) return found[1];
  }
  const tail = text.slice(-400).split(/\r?\n/).slice(-5);
  for (const line of [...head.slice(0, 2), ...tail]) {
    const emacs = /-\*-\s*(?:.*?\bmode:\s*)?([\w-]+)[\s;]*.*?-\*-/i.exec(line);
    const vim = /(?:^|\s)(?:vim?|ex):.*?\b(?:ft|filetype)=([\w-]+)/.exec(line);
    const mode = MODES[(emacs?.[1] ?? vim?.[1] ?? '').toLowerCase()];
    if (mode) return mode;
  }
  return undefined;
}

/**
 * How to cut a file: by its extension, else by its name (`Rakefile`, `.bashrc`), else, given its text, by what the
 * text announces (a `#!` line, an editor mode line); anything else in line windows.
 */
export function strategyFor(relPath: string, text?: string): Strategy {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  const ext = dot >= 0 ? base.slice(dot + 1) : '';
  if (ext === 'md' || ext === 'markdown' || ext === 'mdx') return { kind: 'prose', format: 'markdown' };
  if (ext === 'rst') return { kind: 'prose', format: 'rst' };
  const grammar = BY_EXTENSION[ext] ?? BY_NAME[base] ?? (text === undefined ? undefined : grammarFromContent(text));
  return grammar ? { kind: 'tree-sitter', grammar } : { kind: 'lines' };
}
