import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Grammar } from './languages';

// The package is a UMD bundle of web-tree-sitter with VS Code's prebuilt grammars beside it.
import * as TreeSitter from '@vscode/tree-sitter-wasm';

export type SyntaxNode = TreeSitter.Node;
export type Tree = TreeSitter.Tree;

let wasmDir: string | undefined;
let initPromise: Promise<void> | undefined;
const languages = new Map<Grammar, Promise<TreeSitter.Language>>();
const parsers = new Map<Grammar, TreeSitter.Parser>();

/** Where the grammar .wasm files are: beside the package's entry point, or KINDRED_WASM_DIR (a bundled extension). */
function grammarDir(): string {
  if (!wasmDir) {
    wasmDir = process.env.KINDRED_WASM_DIR ?? path.dirname(require.resolve('@vscode/tree-sitter-wasm'));
  }
  return wasmDir;
}

async function init(): Promise<void> {
  initPromise ??= TreeSitter.Parser.init({ locateFile: (file: string) => path.join(grammarDir(), file) });
  return initPromise;
}

async function language(grammar: Grammar): Promise<TreeSitter.Language> {
  let p = languages.get(grammar);
  if (!p) {
    p = (async () => {
      await init();
      const bytes = await fs.readFile(path.join(grammarDir(), `tree-sitter-${grammar}.wasm`));
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
