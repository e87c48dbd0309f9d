/**
 * The "use it in your app" snippet, taken from the docs so they cannot drift from what the test proves: the first
 * TypeScript fenced block of the section under the heading, in README.md when the README has that section, else in
 * docs/cdk-app.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The first ```ts block of the section `heading` in `markdown`, or undefined when there is no such section. */
export function snippetUnderHeading(markdown: string, heading: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => /^#{1,6} /.test(line) && line.replace(/^#+ /, '').trim() === heading);
  if (start === -1) return undefined;
  const level = /^#+/.exec(lines[start]!)![0].length;
  const end = lines.findIndex((line, index) => index > start && new RegExp(`^#{1,${level}} `).test(line));
  const section = lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
  return /```(?:ts|typescript)\n([\s\S]*?)\n```/.exec(section)?.[1];
}

export function cdkAppSnippet(root: string, heading: string): string {
  for (const file of ['README.md', 'docs/cdk-app.md']) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const snippet = snippetUnderHeading(readFileSync(path, 'utf8'), heading);
    if (snippet !== undefined) return snippet;
  }
  throw new Error(`no TypeScript snippet under a "${heading}" heading in README.md or docs/cdk-app.md`);
}
