import { contextFor, fileSummary } from './fileSummary';
import { headingsOf, type ProseFormat } from './headings';
import { strategyFor } from './languages';
import { parseFile } from './parseFile';
import { bindings, children, COMMENTS, DECLARATION_BLOCKS, definitionName, expandBody, isContainer, isDefinition, leadsDefinition, trailingCommentStart, TRANSPARENT } from './syntax';
import type { SyntaxNode } from './treeSitter';
import { lastName } from '../index/tokenize';

export { COMMENTS, definitionName, functionBinding } from './syntax';

/** A piece of a file small enough to embed. Lines are 1-based and inclusive. */
export interface Chunk {
  startLine: number;
  endLine: number;
  /** Enclosing definition, qualified ("Class.method"), or Markdown heading path; undefined when none. */
  symbol?: string;
  text: string;
  /** What the file says it is for (fileSummary.ts), for chunks that do not hold that text themselves: embedded, not shown. */
  context?: string;
  /**
   * Definitions that start in this chunk besides the one its symbol names: small functions grouped into one chunk
   * (Elixir's one-line `defp`s, Haskell's top-level bindings, a class's getters), and the constants, fields and macros
   * of a file or class (`MAX_SIZE = 5`, `#define UV_EOF`), so a search for one of them finds it.
   */
  names?: string[];
}

/** Counts tokens the way the embedding model will (without special tokens). */
export type TokenCounter = (text: string) => number;

export interface ChunkerOptions {
  /** Budget for a chunk's text, in model tokens. */
  maxTokens: number;
  countTokens: TokenCounter;
  /** Definitions smaller than this are merged with their neighbours instead of standing alone. */
  minTokens?: number;
}

function qualify(parent: string | undefined, name: string | undefined): string | undefined {
  if (!name) return parent;
  return parent ? `${parent}.${name}` : name;
}

/**
 * Cuts a file into chunks. Code is cut on syntax (one chunk per definition, big definitions
 * split into their members or statement groups); Markdown on headings; anything else in
 * overlapping line windows. Every chunk's text fits `maxTokens` as counted by `countTokens`.
 */
export async function chunkText(relPath: string, text: string, options: ChunkerOptions): Promise<Chunk[]> {
  const chunks = await cutText(relPath, text, options);
  const summary = fileSummary(relPath, text);
  for (const c of chunks) {
    const context = contextFor(summary, c);
    if (context) c.context = context;
  }
  return chunks;
}

async function cutText(relPath: string, text: string, options: ChunkerOptions): Promise<Chunk[]> {
  const lines = text.split(/\r?\n/);
  const strategy = strategyFor(relPath, text);
  const cutter = new LineCutter(lines, options);
  if (strategy.kind === 'tree-sitter') {
    let trees: Awaited<ReturnType<typeof parseFile>>;
    try {
      trees = await parseFile(strategy.grammar, text, lines);
    } catch {
      trees = undefined;
    }
    if (trees) {
      try {
        new SyntaxCutter(cutter, options, strategy.grammar === 'cpp').cut(trees.map((t) => t.rootNode));
        return cutter.result();
      } finally {
        for (const t of trees) t.delete();
      }
    }
  } else if (strategy.kind === 'prose') {
    cutProse(cutter, lines, strategy.format);
    return cutter.result();
  }
  cutter.windows(1, lines.length, undefined);
  return cutter.result();
}

/** Holds a file's lines and per-line token counts; emits chunks for line ranges, splitting what does not fit. */
class LineCutter {
  private readonly lineTokens: number[];
  private readonly chunks: Chunk[] = [];
  /** Where definitions start (line, name), for the chunks' `names`. */
  private readonly sites: { line: number; name: string }[] = [];
  /** Last line already emitted. */
  private coveredUpTo = 0;
  readonly maxTokens: number;

  constructor(
    private readonly lines: string[],
    private readonly options: ChunkerOptions,
  ) {
    this.maxTokens = options.maxTokens;
    // WordPiece and BPE tokenizers split on whitespace first, so a range's count is close to the sum of its lines'.
    // The sum is only used to plan cuts; every emitted chunk is counted exactly.
    this.lineTokens = lines.map((l) => (l.trim() ? options.countTokens(l) : 0));
  }

  tokens(start: number, end: number): number {
    let n = 0;
    for (let i = start - 1; i < end; i++) n += this.lineTokens[i] ?? 0;
    return n;
  }

  /** Is there code before `column` on 1-based `line` (a comment there trails that code)? */
  codeBefore(line: number, column: number): boolean {
    return (this.lines[line - 1] ?? '').slice(0, column).trim() !== '';
  }

  /** 1-based line range is blank? */
  blank(start: number, end: number): boolean {
    for (let i = start - 1; i < end; i++) if (this.lines[i]?.trim()) return false;
    return true;
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /**
   * Emits one chunk for the range if it fits, otherwise line windows over it. Ranges arrive in
   * line order; lines already covered (several nodes on one line, a minified file) are not emitted twice.
   */
  range(start: number, end: number, symbol: string | undefined): void {
    start = Math.max(start, this.coveredUpTo + 1);
    if (start > end) return;
    this.coveredUpTo = end;
    this.emit(start, end, symbol);
  }

  /** Overlapping line windows over the range (for text with no structure to cut on). */
  windows(start: number, end: number, symbol: string | undefined): void {
    start = Math.max(start, this.coveredUpTo + 1);
    if (start > end) return;
    this.coveredUpTo = end;
    this.windowsWithin(start, end, symbol);
  }

  private emit(start: number, end: number, symbol: string | undefined): void {
    if (this.tokens(start, end) <= this.maxTokens && this.fits(start, end)) this.push(start, end, symbol);
    else this.windowsWithin(start, end, symbol);
  }

  private text(start: number, end: number): string {
    return this.lines.slice(start - 1, end).join('\n');
  }

  /** Exact check with the model's tokenizer (the per-line sums only plan cuts: tokenizers that count newlines see more). */
  private fits(start: number, end: number): boolean {
    return this.options.countTokens(this.text(start, end)) <= this.maxTokens;
  }

  /** Adds a chunk for a range known to fit, blank lines trimmed; a range of only braces and punctuation says nothing: no chunk. */
  private push(start: number, end: number, symbol: string | undefined): void {
    while (start <= end && !this.lines[start - 1]?.trim()) start++;
    while (end >= start && !this.lines[end - 1]?.trim()) end--;
    if (start > end) return;
    const text = this.text(start, end);
    if (!/[\p{L}\p{N}]/u.test(text)) return;
    // Nor does a closing line or two with only a label on it (`}  // namespace absl`, `#endif  // FOO_H_`); a comment
    // alone is kept (its words are searched).
    if (end - start < 2 && closingLabel(text)) return;
    this.chunks.push({ startLine: start, endLine: end, symbol, text });
  }

  /**
   * Overlapping windows of whole lines, each within the budget; a line too long alone is cut by characters.
   * Terminates for any tokenizer: a window that does not fit exactly shrinks by at least one line, and the
   * next window starts at least one line further.
   */
  private windowsWithin(start: number, end: number, symbol: string | undefined): void {
    while (start <= end && !this.lines[start - 1]?.trim()) start++;
    while (end >= start && !this.lines[end - 1]?.trim()) end--;
    let s = start;
    while (s <= end) {
      let e = s;
      let used = this.lineTokens[s - 1];
      while (e + 1 <= end && used + this.lineTokens[e] <= this.maxTokens) {
        used += this.lineTokens[e];
        e++;
      }
      // Shrink in proportion to the overshoot, always by at least one line.
      while (e > s && !this.fits(s, e)) {
        const exact = this.options.countTokens(this.text(s, e));
        e = Math.max(s, Math.min(e - 1, s + Math.floor(((e - s + 1) * this.maxTokens) / exact) - 1));
      }
      if (e === s && !this.fits(s, s)) this.longLine(s, symbol);
      else this.push(s, e, symbol);
      if (e >= end) break;
      // Overlap about a sixth of the window so a statement cut at a window edge is whole in one of them.
      const overlap = Math.min(Math.floor((e - s + 1) / 6), 8);
      s = Math.max(e + 1 - overlap, s + 1);
    }
  }

  private longLine(line: number, symbol: string | undefined): void {
    const text = this.lines[line - 1];
    let pos = 0;
    while (pos < text.length) {
      // Largest prefix that fits, by binary search on characters. The window is bounded so each
      // probe tokenizes a few KB, not the whole line (tokens rarely span more than a dozen characters).
      let lo = 1;
      let hi = Math.min(text.length - pos, this.maxTokens * 12);
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (this.options.countTokens(text.slice(pos, pos + mid)) <= this.maxTokens) lo = mid;
        else hi = mid - 1;
      }
      const piece = text.slice(pos, pos + lo);
      if (piece.trim()) this.chunks.push({ startLine: line, endLine: line, symbol, text: piece });
      pos += lo;
    }
  }

  /** Notes that the definition `name` starts on `line` (its last name is listed in the `names` of the chunks holding that line). */
  defineAt(line: number, name: string): void {
    this.sites.push({ line, name: lastName(name) });
  }

  result(): Chunk[] {
    const chunks = this.chunks.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
    const sites = this.sites.sort((a, b) => a.line - b.line);
    for (const c of chunks) {
      // The first site at or after the chunk's start (binary search: a big file has thousands of both).
      let lo = 0;
      let hi = sites.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sites[mid].line < c.startLine) lo = mid + 1;
        else hi = mid;
      }
      const own = c.symbol === undefined ? undefined : lastName(c.symbol);
      const names = new Set<string>();
      for (let i = lo; i < sites.length && sites[i].line <= c.endLine; i++) if (sites[i].name !== own) names.add(sites[i].name);
      if (names.size) c.names = [...names];
    }
    return chunks;
  }
}

class SyntaxCutter {
  private readonly minTokens: number;
  constructor(
    private readonly out: LineCutter,
    options: ChunkerOptions,
    /** The grammar has C's preprocessor: macros defined inside functions are named too. */
    private readonly macros = false,
  ) {
    this.minTokens = options.minTokens ?? Math.min(48, Math.floor(options.maxTokens / 5));
  }

  /** Cuts a file from its syntax tree (or the trees of its pieces, in line order). */
  cut(roots: SyntaxNode[]): void {
    this.siblings(
      roots.flatMap((r) => children(r)).flatMap((c) => (TRANSPARENT.has(c.type) ? children(c) : [c])),
      1,
      this.out.lineCount,
      undefined,
      true,
    );
  }

  /**
   * Cuts a run of sibling nodes covering lines [from, to]. Definitions of a reasonable size stand alone
   * (with the comments just above them); everything between them is grouped up to the budget. `declarations`: the
   * nodes are a file's, class's or module's (their constants and fields are named), not a function's statements.
   */
  private siblings(nodes: SyntaxNode[], from: number, to: number, scope: string | undefined, declarations: boolean): void {
    let groupStart = from; // first line of the pending group
    let groupEnd = from - 1; // last line of the pending group
    let groupDefs: string[] = [];
    const flush = (): void => {
      if (groupEnd >= groupStart) {
        // Definitions of one name (overloads, Elixir's and Haskell's clauses) name their group.
        const names = new Set(groupDefs);
        const symbol = names.size === 1 ? qualify(scope, groupDefs[0]) : scope;
        this.out.range(groupStart, groupEnd, symbol);
      }
      groupDefs = [];
      tail = undefined;
    };
    // The group's last node, or its last definitions when they share a name (Elixir's clauses, Haskell's equations):
    // from line `start`, `count` entries of groupDefs.
    let tail: { start: number; name: string | undefined; count: number } | undefined;
    // Closes the group before its tail, which starts the next group.
    const cutBeforeTail = (t: NonNullable<typeof tail>): void => {
      const defs = groupDefs.splice(groupDefs.length - t.count);
      groupEnd = t.start - 1;
      flush();
      groupStart = t.start;
      groupDefs = defs;
      tail = t;
    };

    let leadStart: number | undefined; // start line of comments directly above the next node
    let leadDocEnd: number | undefined; // last line of the comments that open the lead (before attributes, a signature)
    let leadCode = false; // the lead has an attribute, a decorator or a signature
    for (let index = 0; index < nodes.length; index++) {
      const node = nodes[index];
      const start = startLine(node);
      let end = endLine(node);
      if (end < from || start > to) continue;
      if (COMMENTS.has(node.type) || leadsDefinition(node)) {
        // A comment after code on its line (`= { // goto block start`) belongs to that line, not to what follows.
        if (COMMENTS.has(node.type) && leadStart === undefined && this.out.codeBefore(start, node.startPosition.column)) continue;
        leadStart ??= start;
        if (!COMMENTS.has(node.type)) leadCode = true;
        else if (!leadCode) leadDocEnd = end;
        continue;
      }
      const ownStart = leadStart ?? start;
      const docEnd = leadDocEnd;
      leadStart = undefined;
      leadDocEnd = undefined;
      leadCode = false;
      const definition = isDefinition(node);
      const name = definition ? definitionName(node) : undefined;
      // Haskell's `{-# INLINE f #-}` written after `f` belongs to `f`, not to the definition below it.
      while (definition && index + 1 < nodes.length && pragmaFor(nodes[index + 1], node) && startLine(nodes[index + 1]) <= end + 2 && endLine(nodes[index + 1]) <= to) {
        end = endLine(nodes[++index]);
      }
      // Comments a node ends with (a grammar's quirk: Kotlin's imports, a Scala body without braces that takes in
      // the next definition's Scaladoc) lead the next node instead.
      const trailing = trailingCommentStart(node);
      if (trailing !== undefined && trailing > start) {
        leadStart = trailing;
        leadDocEnd = end;
        end = trailing - 1;
      }
      const tokens = this.out.tokens(ownStart, end);
      if (definition && tokens >= this.minTokens) {
        // Inside a definition, a small lead-in with no definitions (a class header, fields) joins
        // this member instead of standing alone, when they fit together or the member is cut anyway (its first
        // chunk then starts with the lead-in); otherwise the group before it is closed.
        let defStart = ownStart;
        const leadEnd = Math.max(groupEnd, ownStart - 1);
        const joins = this.out.tokens(groupStart, end) <= this.out.maxTokens || this.out.tokens(ownStart, end) > this.out.maxTokens;
        if (scope !== undefined && groupDefs.length === 0 && leadEnd >= groupStart && this.out.tokens(groupStart, leadEnd) < this.minTokens && joins) {
          defStart = groupStart;
          groupEnd = groupStart - 1;
        } else {
          groupEnd = leadEnd;
          flush();
        }
        this.definition(node, defStart, end, scope, docEnd === undefined ? undefined : docEnd + 1);
        groupStart = end + 1;
        groupEnd = end;
        continue;
      }
      if (this.out.tokens(groupStart, end) > this.out.maxTokens && groupEnd >= groupStart && !this.out.blank(groupStart, groupEnd)) {
        if (name !== undefined && tail && tail.name === name && tail.start > groupStart && this.out.tokens(tail.start, end) <= this.out.maxTokens) {
          // A function's clauses stay in one chunk: the group is cut before the first of them.
          cutBeforeTail(tail);
        } else {
          flush();
          groupStart = ownStart;
        }
      }
      if (tokens > this.out.maxTokens) {
        // A big non-definition (a long statement, a call with a callback body): cut inside it. The constants a big
        // declaration binds (Go's `const (...)` of forty names) are named in the chunks their lines fall in.
        groupEnd = ownStart - 1;
        flush();
        // A declaration block (`#if`, `class << self`) is cut as declarations: its parts are named as they are cut.
        const block = declarations && DECLARATION_BLOCKS.has(node.type);
        if (!block) this.noteNames(node, declarations);
        this.inside(node, ownStart, end, scope, block);
        groupStart = end + 1;
        groupEnd = end;
        continue;
      }
      this.noteNames(node, declarations);
      if (definition) {
        groupDefs.push(name ?? '');
        if (name !== undefined && tail?.name === name) tail.count++;
        else tail = { start: ownStart, name, count: 1 };
      } else {
        tail = { start: ownStart, name: undefined, count: 0 };
      }
      groupEnd = end;
    }
    // The closing lines (`end`, `}`) can tip the last group over the budget: its tail then goes with them, instead
    // of the group being cut into overlapping windows.
    const last = groupEnd;
    groupEnd = Math.max(groupEnd, to);
    const max = this.out.maxTokens;
    if (tail && tail.start > groupStart && this.out.tokens(groupStart, groupEnd) > max && this.out.tokens(groupStart, last) <= max && this.out.tokens(tail.start, groupEnd) <= max) {
      const end = groupEnd;
      cutBeforeTail(tail);
      groupEnd = end;
    }
    flush();
  }

  /** `header`: the first line after the definition's doc comment (its attributes, signature or declaration). */
  private definition(node: SyntaxNode, start: number, end: number, scope: string | undefined, header = startLine(node)): void {
    const symbol = qualify(scope, definitionName(node));
    // A lead comment too long to share a first chunk with the definition's header (a class's 80-line Javadoc) is
    // cut on its own, in the enclosing scope, so that the definition's first chunk starts at its header (with its
    // attributes or type signature): the chunk a search for the name shows, and the one the ranking treats as the
    // definition.
    if (start < header && this.out.tokens(start, header) > this.out.maxTokens) {
      this.out.windows(start, header - 1, scope);
      start = header;
    }
    this.noteMacros(node);
    // A class, module or impl with members of its own is cut into them (Class.method chunks), so a
    // hit points at the method that answers; otherwise a definition that fits stays whole.
    const split = isContainer(node) && expandBody(node).some((k) => isDefinition(k) && this.out.tokens(startLine(k), endLine(k)) >= this.minTokens);
    if (!split && this.out.tokens(start, end) <= this.out.maxTokens) {
      this.noteMembers(node);
      this.out.range(start, end, symbol);
      return;
    }
    this.inside(node, start, end, symbol);
  }

  /**
   * Notes the names a node defines, for the chunks' `names`: a definition's own name and, for a class or module, its
   * members' (and theirs); for any other node, the constants and fields it binds when it is one of a file's, class's or
   * module's declarations (`declarations`), not a function's statement.
   */
  private noteNames(node: SyntaxNode, declarations: boolean): void {
    if (!isDefinition(node)) {
      if (!declarations) return;
      for (const b of bindings(node)) this.out.defineAt(b.line, b.name);
      // Ruby's `class << self`: its methods and constants are the enclosing class's or module's.
      if (node.type === 'singleton_class') for (const k of expandBody(node)) this.noteNames(k, true);
      return;
    }
    const name = definitionName(node);
    if (name) this.out.defineAt(startLine(node), name);
    this.noteMembers(node);
    this.noteMacros(node);
  }

  /** A C macro defined inside a function body is no local (the preprocessor knows no scopes: fmt's `FMT_INC`): noted where it is. */
  private noteMacros(node: SyntaxNode): void {
    if (!this.macros || isContainer(node)) return;
    for (const d of node.descendantsOfType(['preproc_def', 'preproc_function_def'])) if (d) for (const b of bindings(d)) this.out.defineAt(b.line, b.name);
  }

  /** Notes the names of a class's or module's members (and theirs); nothing for other nodes. */
  private noteMembers(node: SyntaxNode): void {
    if (isContainer(node)) for (const k of expandBody(node)) this.noteNames(k, true);
  }

  /** Splits a node that does not fit into its children; the lines before its first child (signature) lead the first group. */
  private inside(node: SyntaxNode, start: number, end: number, symbol: string | undefined, declarations = isContainer(node)): void {
    const kids = expandBody(node);
    if (kids.length === 0 || (kids.length === 1 && startLine(kids[0]) === start && endLine(kids[0]) === end && kids[0].id === node.id)) {
      this.out.windows(start, end, symbol);
      return;
    }
    this.siblings(kids, start, end, symbol, declarations);
  }
}

/** A closing line with a label: code that is only punctuation or `#endif`/`#else` (a brace, `end;`), and comments. */
function closingLabel(text: string): boolean {
  const code = text.replace(/\/\*.*?\*\/|\/\/.*$/gm, '');
  const rest = code.replace(/^\s*#\s*(?:endif|else)\b.*$/gm, '');
  return code.trim() !== '' && !/[\p{L}\p{N}]/u.test(rest);
}

/** Is `node` a Haskell pragma about `definition` (`{-# INLINE f #-}`, `{-# SPECIALIZE f :: … #-}`)? */
function pragmaFor(node: SyntaxNode, definition: SyntaxNode): boolean {
  if (node.type !== 'pragma') return false;
  const m = /^\{-#\s*(?:INLINE|INLINABLE|INLINEABLE|NOINLINE|SPECIALI[SZ]E)\s+(?:\[~?\d+\]\s*)?\(?([^\s)]+)/.exec(node.text);
  return !!m && m[1] === definitionName(definition);
}

function startLine(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

function endLine(node: SyntaxNode): number {
  // A node ending at column 0 ends on the previous line (its range stops at a newline); so does one whose last line
  // holds only the indentation of what follows (Scala's `def f(x: Int) =` with its body on the next line ends
  // there), or the next definition's signature would end this one's chunk.
  const end = node.endPosition;
  if (end.row === node.startPosition.row) return end.row + 1;
  if (end.column === 0) return end.row;
  const text = node.text;
  return /^[ \t]*$/.test(text.slice(text.lastIndexOf('\n') + 1)) ? end.row : end.row + 1;
}

/** Markdown and reStructuredText: one chunk per section (heading and its text), the heading path as the symbol. */
function cutProse(out: LineCutter, lines: string[], format: ProseFormat): void {
  const headings = headingsOf(lines, format);
  const path: { level: number; title: string }[] = [];
  let sectionStart = 1;
  let sectionSymbol: string | undefined;
  for (const h of headings) {
    if (h.line > sectionStart) out.range(sectionStart, h.line - 1, sectionSymbol);
    while (path.length && path[path.length - 1].level >= h.level) path.pop();
    path.push(h);
    sectionStart = h.line;
    sectionSymbol = path.map((p) => p.title).join(' > ');
  }
  out.range(sectionStart, lines.length, sectionSymbol);
}
