/**
 * How a file is parsed for cutting. Tree-sitter recovers from most syntax errors locally, but a few shapes of real code
 * cost a file its definitions: the chunker then sees one unnamed (or misnamed) node where there were fifty functions.
 * Each remedy below keeps the file's line and column numbers, so chunks still point at the real lines.
 */
import type { Grammar } from './languages';
import { parse, type Tree } from './treeSitter';

/**
 * The file's syntax trees, in line order (one, or one per piece); undefined if it cannot be parsed. The caller deletes them.
 * - C and C++: a line holding only a macro name between declarations (fmt's `FMT_BEGIN_NAMESPACE`, abseil's
 *   `ABSL_NAMESPACE_BEGIN`, glib's `G_BEGIN_DECLS`) is blanked first. The grammar does not expand macros: it read
 *   `FMT_BEGIN_NAMESPACE namespace detail {…}` as a function named `namespace detail` holding the whole header.
 * - Shell: a file with a syntax error is parsed again one top-level function at a time (tree-sitter-bash reads `[^]]*`
 *   in a `[[ =~ ]]` regex as the start of a string: 700 lines of bash-completion's functions became one string).
 */
export async function parseFile(grammar: Grammar, text: string, lines: string[]): Promise<Tree[] | undefined> {
  const macros = grammar === 'cpp' ? bareMacroLines(lines) : [];
  const source = macros.length ? blank(lines, macros).join('\n') : text;
  const tree = await parse(grammar, source);
  if (!tree) return undefined;
  if (grammar === 'bash' && tree.rootNode.hasError) {
    const pieces = await parsePieces(grammar, lines, SHELL_FUNCTION).catch(() => undefined);
    if (pieces) {
      tree.delete();
      return pieces;
    }
  }
  return [tree];
}

/** A line holding only an upper-case name. */
const BARE_NAME = /^[ \t]*[A-Z_][A-Z0-9_]*[ \t]*$/;

/**
 * Lines (0-based) holding only a macro name where a declaration may start: after a `;`, `{` or `}`, a directive or
 * the file's start, and not before a line that opens with a call or declarator (`VALUE` above `rb_foo(int x)` is a
 * return type). An enum's last constant follows a comma and stays.
 */
function bareMacroLines(lines: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!BARE_NAME.test(lines[i])) continue;
    const before = neighbour(lines, i, -1);
    const after = neighbour(lines, i, 1);
    const declarationBefore = before === undefined || before.startsWith('#') || /[;{}]$/.test(before);
    if (declarationBefore && !(after !== undefined && /^[A-Za-z_][\w:]*\s*\(/.test(after))) out.push(i);
  }
  return out;
}

/** The nearest non-blank line above (-1) or below (1), without a line comment, trimmed; undefined at the file's edge. */
function neighbour(lines: readonly string[], i: number, step: -1 | 1): string | undefined {
  for (let j = i + step; j >= 0 && j < lines.length; j += step) {
    const code = lines[j].replace(/\/\/.*$/, '').trim();
    if (code && !code.startsWith('*') && !code.startsWith('/*')) return code;
  }
  return undefined;
}

function blank(lines: readonly string[], which: readonly number[]): string[] {
  const out = [...lines];
  for (const i of which) out[i] = ' '.repeat(out[i].length);
  return out;
}

/** A shell function's first line at the top level (`name() {`, `function name {`). */
const SHELL_FUNCTION = /^(?:function\s+[\w:.@-]+|[\w:.@-]+\s*\(\s*\))/;

/**
 * The file parsed in pieces: one per top-level definition, from its first line (`starts`) to the next one's. Each piece
 * is parsed with the lines before it blanked, so its nodes keep the file's line numbers, and an error stays inside its
 * own piece.
 */
async function parsePieces(grammar: Grammar, lines: string[], starts: RegExp): Promise<Tree[]> {
  const cuts = [0, ...lines.flatMap((l, i) => (i > 0 && starts.test(l) ? [i] : [])), lines.length];
  const trees: Tree[] = [];
  try {
    for (let k = 0; k + 1 < cuts.length; k++) {
      const t = await parse(grammar, '\n'.repeat(cuts[k]) + lines.slice(cuts[k], cuts[k + 1]).join('\n'));
      if (!t) throw new Error(`no ${grammar} parse`);
      trees.push(t);
    }
    return trees;
  } catch (e) {
    for (const t of trees) t.delete();
    throw e;
  }
}
