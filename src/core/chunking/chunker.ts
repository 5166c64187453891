import { headingsOf, type ProseFormat } from './headings';
import { strategyFor } from './languages';
import { parse, type SyntaxNode } from './treeSitter';

/** A piece of a file small enough to embed. Lines are 1-based and inclusive. */
export interface Chunk {
  startLine: number;
  endLine: number;
  /** Enclosing definition, qualified ("Class.method"), or Markdown heading path; undefined when none. */
  symbol?: string;
  text: string;
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

/** Node types that open a definition worth its own chunk, across the supported grammars. */
const DEFINITIONS = new Set([
  // JavaScript / TypeScript
  'function_declaration',
  'generator_function_declaration',
  'class_declaration',
  'abstract_class_declaration',
  'method_definition',
  'interface_declaration',
  'type_alias_declaration',
  'enum_declaration',
  'internal_module',
  // Python
  'function_definition',
  'class_definition',
  'decorated_definition',
  // Go
  'method_declaration',
  'type_declaration',
  // Rust
  'function_item',
  'impl_item',
  'struct_item',
  'enum_item',
  'trait_item',
  'mod_item',
  'macro_definition',
  // Java / C#
  'constructor_declaration',
  'record_declaration',
  'struct_declaration',
  'namespace_declaration',
  'property_declaration',
  // C / C++
  'class_specifier',
  'struct_specifier',
  'namespace_definition',
  'template_declaration',
  // Ruby
  'method',
  'singleton_method',
  'class',
  'module',
  // PHP
  'trait_declaration',
]);

/** Wrappers whose inner declaration carries the name. */
const WRAPPERS: Record<string, string> = {
  export_statement: 'declaration',
  decorated_definition: 'definition',
  template_declaration: '',
};

/** Definitions whose members are cut apart (Class.method chunks) rather than kept whole. */
const CONTAINERS = new Set([
  'class_declaration',
  'abstract_class_declaration',
  'class_definition',
  'class_specifier',
  'struct_specifier',
  'interface_declaration',
  'internal_module',
  'impl_item',
  'trait_item',
  'mod_item',
  'namespace_definition',
  'namespace_declaration',
  'record_declaration',
  'struct_declaration',
  'class',
  'module',
  'trait_declaration',
]);

function isContainer(node: SyntaxNode): boolean {
  const wrapped = WRAPPERS[node.type];
  if (wrapped !== undefined) {
    const inner = wrapped ? node.childForFieldName(wrapped) : node.namedChildren.find((c) => c && isDefinition(c));
    return !!inner && isContainer(inner);
  }
  const binding = declaredFunctionValue(node);
  if (binding) return OBJECT_VALUES.has(boundValue(binding)?.type ?? '');
  return CONTAINERS.has(node.type);
}

/** Comment node types across the grammars. */
export const COMMENTS: ReadonlySet<string> = new Set(['comment', 'line_comment', 'block_comment']);

/** Values that make a named binding a definition: functions and classes, and object literals (their methods are members). */
const DEFINED_VALUES = new Set([
  'arrow_function',
  'function_expression',
  'function',
  'class',
  'generator_function',
  'object',
  // PHP closures
  'anonymous_function',
  'anonymous_function_creation_expression',
]);
const OBJECT_VALUES = new Set(['object', 'class']);

/**
 * The node that names a function, class or object value bound by a declaration or an assignment, or undefined:
 * `const foo = () => {...}`, `let Bar = class {...}`, `res.cookie = function (...) {...}`,
 * `exports.x = function`, `module.exports = function`, `$handler = function () {...}` (PHP),
 * an object-literal `key: function` / `key: () =>` pair, and a class field `handle = (e) => {...}`.
 * Its `value` field is the value.
 */
function declaredFunctionValue(node: SyntaxNode): SyntaxNode | undefined {
  let binding: SyntaxNode | null | undefined;
  if (node.type === 'lexical_declaration' || node.type === 'variable_declaration') {
    const declarators = node.namedChildren.filter((c): c is SyntaxNode => c?.type === 'variable_declarator');
    if (declarators.length !== 1) return undefined;
    binding = declarators[0];
  } else if (node.type === 'expression_statement') {
    const expr = node.namedChildren[0];
    if (expr?.type !== 'assignment_expression' || node.namedChildren.length !== 1) return undefined;
    binding = expr;
  } else if (node.type === 'pair' || node.type === 'public_field_definition' || node.type === 'field_definition') {
    binding = node;
  } else {
    return undefined;
  }
  const value = boundValue(binding);
  if (!value || !DEFINED_VALUES.has(value.type)) return undefined;
  // An object literal is a definition only when bound by a declaration or assignment (not a nested pair).
  if (value.type === 'object' && node.type !== 'lexical_declaration' && node.type !== 'variable_declaration' && node.type !== 'expression_statement') return undefined;
  return binding;
}

/**
 * A function bound to a name by a declaration or an assignment (`const f = () =>`, `res.cookie = function`,
 * `exports.x = function`): its name, or undefined when `node` binds no function.
 */
export function functionBinding(node: SyntaxNode): { name?: string } | undefined {
  const binding = declaredFunctionValue(node);
  const value = binding && boundValue(binding);
  if (!binding || !value || OBJECT_VALUES.has(value.type)) return undefined;
  const name = bindingName(binding);
  return name ? { name } : {};
}

/** The value node of a binding found by declaredFunctionValue. */
function boundValue(binding: SyntaxNode): SyntaxNode | null {
  let value = binding.childForFieldName('value') ?? binding.childForFieldName('right');
  // `res.contentType = res.type = function contentType(...)`: the value at the end of the chain.
  for (let i = 0; value?.type === 'assignment_expression' && i < 8; i++) value = value.childForFieldName('right');
  return value;
}

/** The name a binding gives: `res.cookie`, `json` for `exports.json`, the function's own name for `module.exports = function name`. */
function bindingName(binding: SyntaxNode): string | undefined {
  const target = binding.childForFieldName('name') ?? binding.childForFieldName('left') ?? binding.childForFieldName('key') ?? binding.childForFieldName('property');
  if (!target) return undefined;
  let name = target.text.replace(/^["'`]|["'`]$/g, '').replace(/^\$/, '');
  if (name === 'module.exports' || name === 'exports') name = boundValue(binding)?.childForFieldName('name')?.text ?? name;
  return name.replace(/^(?:module\.)?exports\./, '').replace(/^this\./, '');
}

function isDefinition(node: SyntaxNode): boolean {
  if (DEFINITIONS.has(node.type)) return true;
  if (node.type === 'export_statement') {
    const decl = node.childForFieldName('declaration');
    return !!decl && (DEFINITIONS.has(decl.type) || !!declaredFunctionValue(decl));
  }
  return !!declaredFunctionValue(node);
}

/** The identifier a C/C++ declarator finally names (through pointer/function/reference declarators). */
function declaratorName(node: SyntaxNode | null): string | undefined {
  let cur = node;
  for (let i = 0; cur && i < 8; i++) {
    if (['identifier', 'field_identifier', 'qualified_identifier', 'operator_name', 'destructor_name', 'type_identifier'].includes(cur.type)) {
      return cur.text;
    }
    cur = cur.childForFieldName('declarator') ?? cur.childForFieldName('name');
  }
  return undefined;
}

export function definitionName(node: SyntaxNode): string | undefined {
  const wrapped = WRAPPERS[node.type];
  if (wrapped !== undefined) {
    const inner = wrapped ? node.childForFieldName(wrapped) : node.namedChildren.find((c) => c && isDefinition(c));
    return inner ? definitionName(inner) : undefined;
  }
  const binding = declaredFunctionValue(node);
  if (binding) return bindingName(binding);
  if (node.type === 'method_declaration') {
    // Go: `func (s *Server) Serve(...)` is Server.Serve.
    const receiver = node.childForFieldName('receiver')?.namedChildren.find((c) => c?.type === 'parameter_declaration')?.childForFieldName('type');
    const type = receiver?.text.replace(/^\*/, '').replace(/\[.*$/, '');
    const name = node.childForFieldName('name')?.text;
    if (receiver && name) return type ? `${type}.${name}` : name;
  }
  if (node.type === 'impl_item') {
    const type = node.childForFieldName('type')?.text;
    const trait = node.childForFieldName('trait')?.text;
    return type ? (trait ? `impl ${trait} for ${type}` : `impl ${type}`) : undefined;
  }
  if (node.type === 'type_declaration') {
    const spec = node.namedChildren.find((c) => c?.type === 'type_spec' || c?.type === 'type_alias');
    return spec?.childForFieldName('name')?.text;
  }
  const name = node.childForFieldName('name');
  if (name) return name.text;
  return declaratorName(node.childForFieldName('declarator'));
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
  const lines = text.split(/\r?\n/);
  const strategy = strategyFor(relPath);
  const cutter = new LineCutter(lines, options);
  if (strategy.kind === 'tree-sitter') {
    let tree: Awaited<ReturnType<typeof parse>>;
    try {
      tree = await parse(strategy.grammar, text);
    } catch {
      tree = undefined;
    }
    if (tree) {
      try {
        new SyntaxCutter(cutter, options).cut(tree.rootNode);
        return cutter.result();
      } finally {
        tree.delete();
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

  result(): Chunk[] {
    return this.chunks.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
  }
}

class SyntaxCutter {
  private readonly minTokens: number;
  constructor(
    private readonly out: LineCutter,
    options: ChunkerOptions,
  ) {
    this.minTokens = options.minTokens ?? Math.min(48, Math.floor(options.maxTokens / 5));
  }

  cut(root: SyntaxNode): void {
    this.siblings(children(root), 1, this.out.lineCount, undefined);
  }

  /**
   * Cuts a run of sibling nodes covering lines [from, to]. Definitions of a reasonable size stand alone
   * (with the comments just above them); everything between them is grouped up to the budget.
   */
  private siblings(nodes: SyntaxNode[], from: number, to: number, scope: string | undefined): void {
    let groupStart = from; // first line of the pending group
    let groupEnd = from - 1; // last line of the pending group
    let groupDefs: string[] = [];
    const flush = (): void => {
      if (groupEnd >= groupStart) {
        const symbol = groupDefs.length === 1 ? qualify(scope, groupDefs[0]) : scope;
        this.out.range(groupStart, groupEnd, symbol);
      }
      groupDefs = [];
    };

    let leadStart: number | undefined; // start line of comments directly above the next node
    for (const node of nodes) {
      const start = startLine(node);
      const end = endLine(node);
      if (end < from || start > to) continue;
      if (COMMENTS.has(node.type)) {
        leadStart ??= start;
        continue;
      }
      const ownStart = leadStart ?? start;
      leadStart = undefined;
      const tokens = this.out.tokens(ownStart, end);
      if (isDefinition(node) && tokens >= this.minTokens) {
        // Inside a definition, a small lead-in with no definitions (a class header, fields) joins
        // this member instead of standing alone; otherwise the group before it is closed.
        let defStart = ownStart;
        const leadEnd = Math.max(groupEnd, ownStart - 1);
        if (scope !== undefined && groupDefs.length === 0 && leadEnd >= groupStart && this.out.tokens(groupStart, leadEnd) < this.minTokens && this.out.tokens(groupStart, end) <= this.out.maxTokens) {
          defStart = groupStart;
          groupEnd = groupStart - 1;
        } else {
          groupEnd = leadEnd;
          flush();
        }
        this.definition(node, defStart, end, scope);
        groupStart = end + 1;
        groupEnd = end;
        continue;
      }
      if (this.out.tokens(groupStart, end) > this.out.maxTokens && groupEnd >= groupStart && !this.out.blank(groupStart, groupEnd)) {
        flush();
        groupStart = ownStart;
      }
      if (tokens > this.out.maxTokens) {
        // A big non-definition (a long statement, a call with a callback body): cut inside it.
        groupEnd = ownStart - 1;
        flush();
        this.inside(node, ownStart, end, scope);
        groupStart = end + 1;
        groupEnd = end;
        continue;
      }
      if (isDefinition(node)) groupDefs.push(definitionName(node) ?? '');
      groupEnd = end;
    }
    groupEnd = Math.max(groupEnd, to);
    flush();
  }

  private definition(node: SyntaxNode, start: number, end: number, scope: string | undefined): void {
    const symbol = qualify(scope, definitionName(node));
    // A class, module or impl with members of its own is cut into them (Class.method chunks), so a
    // hit points at the method that answers; otherwise a definition that fits stays whole.
    const split = isContainer(node) && expandBody(node).some((k) => isDefinition(k) && this.out.tokens(startLine(k), endLine(k)) >= this.minTokens);
    if (!split && this.out.tokens(start, end) <= this.out.maxTokens) {
      this.out.range(start, end, symbol);
      return;
    }
    this.inside(node, start, end, symbol);
  }

  /** Splits a node that does not fit into its children; the lines before its first child (signature) lead the first group. */
  private inside(node: SyntaxNode, start: number, end: number, symbol: string | undefined): void {
    const kids = expandBody(node);
    if (kids.length === 0 || (kids.length === 1 && startLine(kids[0]) === start && endLine(kids[0]) === end && kids[0].id === node.id)) {
      this.out.windows(start, end, symbol);
      return;
    }
    this.siblings(kids, start, end, symbol);
  }
}

function children(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((c): c is SyntaxNode => !!c);
}

/**
 * The nodes to cut a too-big node into: its body's statements/members when it has a body,
 * otherwise its named children. Wrappers (export, decorators) are looked through.
 */
function expandBody(node: SyntaxNode): SyntaxNode[] {
  const inner = WRAPPERS[node.type] !== undefined ? (WRAPPERS[node.type] ? node.childForFieldName(WRAPPERS[node.type]) : null) : null;
  if (inner) return expandBody(inner);
  const binding = declaredFunctionValue(node);
  const target = (binding && boundValue(binding)) ?? node;
  const body = target.childForFieldName('body') ?? target.namedChildren.find((c) => c && /body|block|declaration_list|field_declaration_list|class_body/.test(c.type)) ?? null;
  if (body) {
    const kids = children(body);
    if (kids.length > 0) return kids;
  }
  return children(target);
}

function startLine(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

function endLine(node: SyntaxNode): number {
  // A node ending at column 0 ends on the previous line (its range stops at a newline).
  const end = node.endPosition;
  return end.column === 0 && end.row > node.startPosition.row ? end.row : end.row + 1;
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
