/** Maps file extensions to the chunking strategy: a tree-sitter grammar, prose cut at headings (Markdown, reStructuredText), or plain line windows. */
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
  php: 'php',
  sh: 'bash',
  bash: 'bash',
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

export function strategyFor(relPath: string): Strategy {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  const ext = dot >= 0 ? base.slice(dot + 1) : '';
  if (ext === 'md' || ext === 'markdown' || ext === 'mdx') return { kind: 'prose', format: 'markdown' };
  if (ext === 'rst') return { kind: 'prose', format: 'rst' };
  const grammar = BY_EXTENSION[ext];
  return grammar ? { kind: 'tree-sitter', grammar } : { kind: 'lines' };
}
