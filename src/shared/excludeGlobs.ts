import { braceExpand } from 'minimatch';

/**
 * Turns VS Code's `files.exclude` / `search.exclude` globs (`**\/.git`, `**\/*.{log,tmp}`) into
 * gitignore patterns. gitignore has no `{a,b}`: braces are expanded into one pattern each.
 */
export function filesExcludeToPatterns(filesExclude: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  for (const [glob, on] of Object.entries(filesExclude ?? {})) {
    if (on !== true) continue; // `{ when: ... }` conditions need sibling files: not applied
    for (const g of braceExpand(glob)) out.push(g.startsWith('**/') ? g.slice(3) : g.startsWith('/') ? g : `/${g}`);
  }
  return out;
}
