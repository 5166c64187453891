import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import type { Grammar } from './languages';

// The package is a UMD bundle of web-tree-sitter with VS Code's prebuilt grammars beside it.
import * as TreeSitter from '@vscode/tree-sitter-wasm';

export type SyntaxNode = TreeSitter.Node;
export type Tree = TreeSitter.Tree;

let wasmDir: string | undefined;
let initPromise: Promise<void> | undefined;
const languages = new Map<Grammar, Promise<TreeSitter.Language>>();
const parsers = new Map<Grammar, TreeSitter.Parser>();

/** Where the runtime and VS Code's grammar .wasm files are: beside the package's entry point, or KINDRED_WASM_DIR. */
function grammarDir(): string {
  if (!wasmDir) {
    wasmDir = process.env.KINDRED_WASM_DIR ?? path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
  }
  return wasmDir;
}

/**
 * Grammars VS Code's package does not ship, each from a package that publishes it as WebAssembly: tree-sitter-wasms
 * (Unlicense) and, for Lua, Haskell and Scala, the grammar's own package (MIT; tree-sitter-wasms has no Haskell, its
 * Lua scanner keeps state between parses, and its Scala grammar predates Scala 3 and self-types).
 * They load in the same runtime; KINDRED_WASM_DIR, when set, holds them all.
 */
const TREE_SITTER_WASMS = { pkg: 'tree-sitter-wasms', folder: 'out' };
const EXTRA_GRAMMARS: Partial<Record<Grammar, { pkg: string; folder: string }>> = {
  kotlin: TREE_SITTER_WASMS,
  swift: TREE_SITTER_WASMS,
  elixir: TREE_SITTER_WASMS,
  zig: TREE_SITTER_WASMS,
  lua: { pkg: '@tree-sitter-grammars/tree-sitter-lua', folder: '' },
  haskell: { pkg: 'tree-sitter-haskell', folder: '' },
  scala: { pkg: 'tree-sitter-scala', folder: '' },
};

/** The folder holding a grammar's .wasm file. */
function wasmFolder(grammar: Grammar): string {
  const extra = EXTRA_GRAMMARS[grammar];
  if (!extra || process.env.KINDRED_WASM_DIR) return grammarDir();
  return path.join(path.dirname(require.resolve(`${extra.pkg}/package.json`)), extra.folder);
}

async function init(): Promise<void> {
  if (!initPromise) {
    // The parser and its grammars are compiled by V8's baseline WebAssembly compiler only: the optimising one
    // compiled them again in the background and left its memory behind (peak RSS while indexing this repository
    // about −30 MB, docs/benchmarks.md; chunking alone 5–8% slower, a few percent of indexing). Set before the first module is compiled;
    // it applies to this process's WebAssembly (the engine process, the CLI), and a V8 without the flag ignores it.
    setFlagsFromString('--liftoff-only');
    initPromise = TreeSitter.Parser.init({ locateFile: (file: string) => path.join(grammarDir(), file) });
  }
  return initPromise;
}

async function language(grammar: Grammar): Promise<TreeSitter.Language> {
  let p = languages.get(grammar);
  if (!p) {
    p = (async () => {
      await init();
      const bytes = await fs.readFile(path.join(wasmFolder(grammar), `tree-sitter-${grammar}.wasm`));
      return TreeSitter.Language.load(bytes);
    })();
    languages.set(grammar, p);
  }
  return p;
}

/** Parses source text; returns undefined if the grammar cannot be loaded or parsing fails. */
export async function parse(grammar: Grammar, text: string): Promise<Tree | undefined> {
  let parser = parsers.get(grammar);
  if (!parser) {
    const lang = await language(grammar);
    parser = new TreeSitter.Parser();
    parser.setLanguage(lang);
    parsers.set(grammar, parser);
  }
  return parser.parse(text) ?? undefined;
}
