/**
 * What the MCP server tells an agent about itself (sent as the server's `instructions`; the README
 * quotes the same text). Written for a model: when to use these tools rather than grep.
 */
export const SERVER_INSTRUCTIONS = `Kindred is a local semantic code search over one folder (nothing leaves the machine).

Use it when you know what the code does but not what it is called: "where is the retry policy for uploads decided?", "code that validates the config file", "how are tokens refreshed?". It ranks functions and sections by meaning and by keywords together, across naming conventions and languages, and answers with path:start-end locations.

- search: ranked locations (path:start-end, symbol, score, a short snippet) for a natural-language description or a code-ish phrase. Start here when exploring an unfamiliar codebase or before grepping for guessed names.
- context: the best code for a question, full text of the relevant functions packed into a token budget, in one call. Cheaper than opening whole files.
- find_similar: code similar to a line range (duplicates, other implementations of the same idea) - useful before changing or refactoring something that may exist twice.
- index_status: how complete and fresh the index is.

Use grep/ripgrep instead when you already know the exact identifier, string or regex, or need every occurrence (call sites, renames): Kindred returns the best few matches, not all of them.

The index is brought up to date on each call; when a result says "stale", files changed very recently may not be reflected yet.`;
