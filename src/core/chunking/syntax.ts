/**
 * What the grammars' syntax nodes mean to the chunker: which nodes open a definition, which are containers
 * cut into their members, which are comments, and the name a definition gives. The cutting itself is in
 * chunker.ts.
 */
import type { SyntaxNode } from './treeSitter';

/** Definitions whose members are cut apart (Class.method chunks) rather than kept whole, across the grammars. */
const CONTAINERS = new Set([
  // JavaScript / TypeScript
  'class_declaration',
  'abstract_class_declaration',
  'interface_declaration',
  'internal_module',
  // Python
  'class_definition',
  // Rust
  'impl_item',
  'trait_item',
  'mod_item',
  // Java / C#
  'record_declaration',
  'struct_declaration',
  'namespace_declaration',
  // C / C++
  'class_specifier',
  'struct_specifier',
  'namespace_definition',
  // Ruby
  'class',
  'module',
  // PHP
  'trait_declaration',
  // Kotlin
  'object_declaration',
  'companion_object',
  // Swift (class_declaration covers class, struct, enum, extension)
  'protocol_declaration',
  // Scala
  'object_definition',
  'trait_definition',
  'enum_definition',
  // Haskell (class is Ruby's too)
  'instance',
]);

/** Node types that open a definition worth its own chunk: the containers and these. */
const DEFINITIONS = new Set([
  ...CONTAINERS,
  // JavaScript / TypeScript (function_declaration is also Kotlin's, Swift's, Lua's and Zig's)
  'function_declaration',
  'generator_function_declaration',
  'method_definition',
  'type_alias_declaration',
  'enum_declaration',
  // Python (function_definition is also Scala's)
  'function_definition',
  'decorated_definition',
  // Go
  'method_declaration',
  'type_declaration',
  // Rust
  'function_item',
  'struct_item',
  'enum_item',
  'macro_definition',
  // Java / C# (property_declaration is also Kotlin's and Swift's)
  'constructor_declaration',
  'property_declaration',
  // C / C++
  'template_declaration',
  // Ruby
  'method',
  'singleton_method',
  // Swift
  'init_declaration',
  'typealias_declaration',
  // Scala 3
  'given_definition',
  'extension_definition',
  // Zig
  'test_declaration',
  // Haskell (function, bind and signature only inside declarations: see haskellDeclaration)
  'data_type',
  'newtype',
  'type_synomym',
]);

/** Haskell's declaration lists: a `function` or `bind` in one is a definition, a `signature` leads the one below. */
const HASKELL_DECLARATIONS = new Set(['declarations', 'class_declarations', 'instance_declarations']);

function haskellDeclaration(node: SyntaxNode, types: readonly string[]): boolean {
  return types.includes(node.type) && HASKELL_DECLARATIONS.has(node.parent?.type ?? '');
}

/**
 * Nodes whose statements are their parent's declarations (a C header's include guard and `#if` blocks, `extern "C"`,
 * Ruby's `class << self`): the constants and macros in them are named like those outside them.
 */
export const DECLARATION_BLOCKS: ReadonlySet<string> = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'linkage_specification', 'declaration_list', 'singleton_class']);

/** Nodes whose children are cut as if they were their parent's: Haskell's top-level `declarations`. */
export const TRANSPARENT: ReadonlySet<string> = new Set(['declarations']);

/** Wrappers whose inner declaration carries the name: the field that holds it ('' = the first child that is a definition). */
const WRAPPERS: Record<string, string> = {
  export_statement: 'declaration',
  decorated_definition: 'definition',
  template_declaration: '',
};

/**
 * The declaration a wrapper wraps (`export` …, decorators …, C++'s `template <…>` …), or null (not a wrapper, or
 * wrapping no definition). Cutting, naming and container checks look through it, so `template <class T> class X`
 * is cut like `class X` with the template line leading its first chunk.
 */
function wrappedDeclaration(node: SyntaxNode): SyntaxNode | null {
  const field = WRAPPERS[node.type];
  if (field === undefined) return null;
  return field ? node.childForFieldName(field) : (node.namedChildren.find((c): c is SyntaxNode => !!c && isDefinition(c)) ?? null);
}

/** Elixir defines with macro calls: `defmodule A do`, `def f(x) do`, `defp`, `defmacro`, ... */
const ELIXIR_DEFS = new Set(['defmodule', 'defprotocol', 'defimpl', 'def', 'defp', 'defmacro', 'defmacrop', 'defguard', 'defguardp', 'defdelegate', 'defstruct', 'defexception']);
const ELIXIR_CONTAINERS = new Set(['defmodule', 'defprotocol', 'defimpl']);

/** The macro an Elixir definition call uses (`def`, `defmodule`, ...), or undefined for any other node. */
function elixirDef(node: SyntaxNode): string | undefined {
  if (node.type !== 'call') return undefined;
  const target = node.namedChildren[0];
  return target?.type === 'identifier' && ELIXIR_DEFS.has(target.text) && node.namedChildren.some((c) => c?.type === 'arguments') ? target.text : undefined;
}

/** The name an Elixir definition gives: the module alias, or the function head's name (`f(x) when ...` is `f`). */
function elixirName(node: SyntaxNode): string | undefined {
  let head = node.namedChildren.find((c) => c?.type === 'arguments')?.namedChildren[0] ?? null;
  for (let i = 0; head && i < 4; i++) {
    if (head.type === 'alias' || head.type === 'identifier') return head.text;
    head = head.type === 'binary_operator' ? head.childForFieldName('left') : head.type === 'call' ? head.namedChildren[0] : null;
  }
  return undefined;
}

/** Values that make a binding a container: Zig's `const Allocator = struct {...}`. */
const CONTAINER_VALUES = new Set(['struct_declaration', 'enum_declaration', 'union_declaration', 'opaque_declaration']);

/** Zig's `const Name = struct {...}`: the container value, or undefined. */
function zigContainer(node: SyntaxNode): SyntaxNode | undefined {
  if (node.type !== 'variable_declaration') return undefined;
  return node.namedChildren.find((c): c is SyntaxNode => !!c && CONTAINER_VALUES.has(c.type));
}

/** Lua's `M.picker = function(opts) ... end` and `local f = function() ... end`: the assignment, or undefined. */
function luaFunctionAssignment(node: SyntaxNode): SyntaxNode | undefined {
  const assignment = node.type === 'variable_declaration' ? node.namedChildren.find((c) => c?.type === 'assignment_statement') : node;
  if (assignment?.type !== 'assignment_statement') return undefined;
  const values = assignment.namedChildren.find((c) => c?.type === 'expression_list')?.namedChildren ?? [];
  return values.length === 1 && values[0]?.type === 'function_definition' ? assignment : undefined;
}

/** The function value of a Lua function assignment, or undefined. */
function luaFunctionValue(node: SyntaxNode): SyntaxNode | undefined {
  return luaFunctionAssignment(node)?.namedChildren.find((c) => c?.type === 'expression_list')?.namedChildren[0] ?? undefined;
}

/**
 * Nodes that belong to the definition below them, like its comments: Rust attributes (`#[inline]`), Elixir's
 * `@doc` / `@spec` / `@impl` attributes, Haskell's type signatures and pragmas (`{-# INLINE f #-}`).
 */
export function leadsDefinition(node: SyntaxNode): boolean {
  if (node.type === 'attribute_item' || node.type === 'pragma' || haskellDeclaration(node, ['signature'])) return true;
  return node.type === 'unary_operator' && /^@(?:doc|spec|impl|typedoc|deprecated)\b/.test(node.text);
}

/**
 * The first line of the comments a node ends with, when a grammar puts the comments after a statement inside it
 * (Kotlin's package and import headers take in the KDoc of the class below them); undefined otherwise.
 */
export function trailingCommentStart(node: SyntaxNode): number | undefined {
  let cur: SyntaxNode = node;
  for (let depth = 0; depth < 8; depth++) {
    const kids = children(cur);
    let i = kids.length - 1;
    let start: number | undefined;
    while (i >= 0 && COMMENTS.has(kids[i].type)) {
      // A comment after code on its line (`where smallh = … --hmm`) is that line's: the run starts after it.
      const prev = kids[i - 1];
      if (!prev || prev.endPosition.row < kids[i].startPosition.row) start = kids[i].startPosition.row + 1;
      else if (!COMMENTS.has(prev.type)) break;
      i--;
    }
    if (start !== undefined) return node.text.trimEnd().endsWith(kids[kids.length - 1].text.trimEnd()) ? start : undefined;
    if (i < 0) return undefined;
    cur = kids[i];
  }
  return undefined;
}

export function isContainer(node: SyntaxNode): boolean {
  if (WRAPPERS[node.type] !== undefined) {
    const inner = wrappedDeclaration(node);
    return !!inner && isContainer(inner);
  }
  const binding = declaredFunctionValue(node);
  if (binding) return OBJECT_VALUES.has(boundValue(binding)?.type ?? '');
  const macro = elixirDef(node);
  if (macro) return ELIXIR_CONTAINERS.has(macro);
  return CONTAINERS.has(node.type) || !!zigContainer(node);
}

/** Comment node types across the grammars. */
export const COMMENTS: ReadonlySet<string> = new Set(['comment', 'line_comment', 'block_comment', 'multiline_comment', 'haddock']);

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

export function isDefinition(node: SyntaxNode): boolean {
  if (DEFINITIONS.has(node.type)) return true;
  if (node.type === 'export_statement') {
    const decl = node.childForFieldName('declaration');
    return !!decl && (DEFINITIONS.has(decl.type) || !!declaredFunctionValue(decl));
  }
  return !!declaredFunctionValue(node) || !!elixirDef(node) || !!zigContainer(node) || !!luaFunctionValue(node) || haskellDeclaration(node, ['function', 'bind']);
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

/**
 * Names a statement binds that a symbol search may look for: constants, variables and fields (`MAX_SIZE = 5`,
 * `export const X = …`, Rust's `const`/`static`, Java's and Go's fields, Go's and PHP's `const`, C's `#define` and
 * initialised globals, Ruby's `CONST = …`), with their lines. Not functions: those are definitions. A C prototype
 * declares a function defined elsewhere, so it binds nothing here.
 */
export function bindings(node: SyntaxNode): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  const add = (n: SyntaxNode | null | undefined): void => {
    if (n && /^(?:identifier|constant|name|field_identifier|type_identifier)$/.test(n.type)) out.push({ name: n.text, line: n.startPosition.row + 1 });
  };
  const kids = (n: SyntaxNode, type: string): SyntaxNode[] => children(n).filter((c) => c.type === type);
  switch (node.type) {
    case 'preproc_if':
    case 'preproc_ifdef':
    case 'preproc_else':
    case 'preproc_elif':
      return children(node).flatMap((c) => bindings(c));
    case 'export_statement': {
      const inner = node.childForFieldName('declaration');
      return inner ? bindings(inner) : out;
    }
    case 'expression_statement': // Python
      for (const a of kids(node, 'assignment')) add(a.childForFieldName('left'));
      break;
    case 'assignment': // Ruby
      add(node.childForFieldName('left'));
      break;
    case 'lexical_declaration':
    case 'variable_declaration':
      for (const d of kids(node, 'variable_declarator')) add(d.childForFieldName('name'));
      break;
    case 'const_item':
    case 'static_item':
    case 'preproc_def':
    case 'preproc_function_def':
      add(node.childForFieldName('name'));
      break;
    case 'field_declaration': // Java (declarators), Go and Rust (field names)
      for (const d of kids(node, 'variable_declarator')) add(d.childForFieldName('name'));
      for (const n of node.childrenForFieldName('name') ?? []) add(n);
      break;
    case 'declaration': // C/C++ initialised globals, not prototypes
      for (const d of kids(node, 'init_declarator')) add(d.childForFieldName('declarator'));
      break;
    case 'const_declaration': // Go's const_spec, PHP's const_element
    case 'var_declaration':
      // Go's grouped `var (...)` holds its specs in a var_spec_list.
      for (const spec of children(node).flatMap((c) => (c.type === 'var_spec_list' ? children(c) : [c]))) {
        if (spec.type === 'const_spec' || spec.type === 'var_spec') for (const n of spec.childrenForFieldName('name') ?? []) add(n);
        if (spec.type === 'const_element') add(spec.namedChildren.find((c) => c?.type === 'name'));
      }
      break;
  }
  return out;
}

export function definitionName(node: SyntaxNode): string | undefined {
  if (WRAPPERS[node.type] !== undefined) {
    const inner = wrappedDeclaration(node);
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
  if (elixirDef(node)) return elixirName(node);
  const lua = luaFunctionAssignment(node);
  if (lua) return lua.namedChildren.find((c) => c?.type === 'variable_list')?.text;
  if (node.type === 'test_declaration') {
    const title = node.namedChildren.find((c) => c?.type === 'string' || c?.type === 'identifier');
    return title ? `test ${title.text}` : 'test';
  }
  // Haskell: `instance FromJSON Bool` (not `FromJSON`, which the class defines).
  if (node.type === 'instance') return `instance ${node.text.split('\n')[0].replace(/^instance\s+/, '').replace(/\s+where\b.*$/, '').trim()}`;
  if (node.type === 'companion_object') return node.namedChildren.find((c) => c?.type === 'type_identifier')?.text ?? 'Companion';
  const name = node.childForFieldName('name');
  // Lua's `function M:method()` is M.method.
  if (name) return name.type === 'method_index_expression' ? name.text.replace(':', '.') : name.text;
  const declarator = declaratorName(node.childForFieldName('declarator'));
  if (declarator) return declarator;
  return unlabelledName(node);
}

/**
 * The name of a definition whose grammar labels no field (Kotlin, Zig, old Scala): its first identifier child;
 * a Kotlin extension function `fun HttpClient.get()` is `HttpClient.get`.
 */
function unlabelledName(node: SyntaxNode): string | undefined {
  const kids = children(node);
  const i = kids.findIndex((c) => c.type === 'simple_identifier' || c.type === 'type_identifier' || c.type === 'identifier');
  if (i < 0) return undefined;
  const receiver = node.type === 'function_declaration' && i > 0 && kids[i - 1].type === 'user_type' ? kids[i - 1].text : undefined;
  return receiver ? `${receiver}.${kids[i].text}` : kids[i].text;
}

/**
 * The nodes to cut a too-big node into: its body's statements/members when it has a body,
 * otherwise its named children. Wrappers (export, decorators, C++ templates) are looked through.
 */
export function expandBody(node: SyntaxNode): SyntaxNode[] {
  const inner = wrappedDeclaration(node);
  if (inner) return expandBody(inner);
  const binding = declaredFunctionValue(node);
  // Zig's `const X = struct {...}`: the struct's fields and declarations.
  const container = zigContainer(node);
  if (container) return children(container);
  const target = (binding && boundValue(binding)) ?? luaFunctionValue(node) ?? node;
  const body = target.childForFieldName('body') ?? target.childForFieldName('declarations') ?? target.namedChildren.find((c) => c && /body|block|declaration_list|field_declaration_list|class_body/.test(c.type)) ?? null;
  if (body) {
    const kids = children(body);
    if (kids.length > 0) return kids;
  }
  return children(target);
}

export function children(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren.filter((c): c is SyntaxNode => !!c);
}
