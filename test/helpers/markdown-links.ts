import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * Reads markdown the way GitHub renders it, closely enough to check links: fenced code is not
 * markdown (a `# comment` in a bash block is no heading, a `[x](y)` in one is no link), and
 * neither is an inline code span.
 */
function prose(text: string): string {
  let fence: string | undefined;
  return text
    .split('\n')
    .map((line) => {
      const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (marker && (!fence || marker.startsWith(fence))) {
        fence = fence ? undefined : marker;
        return '';
      }
      return fence ? '' : line.replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length));
    })
    .join('\n');
}

/** The anchor GitHub gives a heading (github-slugger): lower case, punctuation dropped, spaces → '-'. */
export function githubSlug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a markdown text offers; a repeated heading gets -1, -2 … as on GitHub. */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const code = prose(text).split('\n');
  text.split('\n').forEach((line, index) => {
    // The heading's own inline code counts for its anchor, so read the raw line (fences aside).
    if (!/^#{1,6}\s/.test(code[index])) return;
    const slug = githubSlug(
      line
        .replace(/^#{1,6}\s+/, '')
        .replace(/\s+#+\s*$/, '')
        .replace(/`/g, ''),
    );
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  });
  return anchors;
}

export interface MarkdownLink {
  line: number;
  target: string;
}

/** Inline links and images, with the line they start on (their text may wrap). */
export function markdownLinks(text: string): MarkdownLink[] {
  const body = prose(text);
  return [...body.matchAll(/\[[^\]]*\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({
    line: body.slice(0, match.index).split('\n').length,
    target: match[1],
  }));
}

/**
 * The relative links and anchors of `files` (paths under `root`) that lead nowhere, as
 * "file:line → target: reason". Links with a scheme (https:, mailto:) are not checked.
 */
export function brokenLinks(root: string, files: string[]): string[] {
  const anchors = anchorReader();
  return files.flatMap((file) =>
    markdownLinks(readFileSync(join(root, file), 'utf8')).flatMap(({ line, target }) => {
      const reason = unresolved(root, join(root, file), target, anchors);
      return reason ? [`${file}:${line} → ${target}: ${reason}`] : [];
    }),
  );
}

/** Why `target`, written in the file `source`, leads nowhere; undefined when it resolves. */
export function unresolved(root: string, source: string, target: string, anchors = anchorReader()): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  if (target.startsWith('/')) return 'use a relative link (GitHub and editors resolve / differently)';
  const [path, anchor] = target.split('#', 2);
  const destination = path ? resolve(dirname(source), decodeURIComponent(path)) : source;
  if (!existsSync(destination)) return `${relative(root, destination)} does not exist`;
  if (anchor === undefined) return undefined;
  if (!destination.endsWith('.md')) return 'an anchor into a file that is not markdown';
  return anchors(destination).has(decodeURIComponent(anchor)) ? undefined : `no heading makes #${anchor}`;
}

/** Anchors per markdown file, each file read once. */
function anchorReader(): (path: string) => Set<string> {
  const cache = new Map<string, Set<string>>();
  return (path) => {
    if (!cache.has(path)) cache.set(path, headingAnchors(readFileSync(path, 'utf8')));
    return cache.get(path)!;
  };
}
