import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokenLinks, githubSlug, headingAnchors, markdownLinks, unresolved } from '@backlot/testing/markdown-links';

const root = join(__dirname, '..', '..');
const pages = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);

/** Source files that may point readers at a docs page (comments, messages). */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('README.md and docs/', () => {
  it('every relative link and #anchor in them leads to a file and a heading that exist', () => {
    expect(brokenLinks(root, ['README.md', ...pages])).toEqual([]);
  });

  it('the README links every page in docs/', () => {
    const linked = new Set(markdownLinks(readFileSync(join(root, 'README.md'), 'utf8')).map((link) => link.target.split('#')[0]));
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('each page opens with its title, then says in prose what a reader can do with it', () => {
    const malformed = pages.filter((page) => {
      const [title, blank, opening] = readFileSync(join(root, page), 'utf8').split('\n');
      return !/^# \S/.test(title) || blank !== '' || !/^[A-Z`]/.test(opening ?? '');
    });
    expect(malformed).toEqual([]);
  });

  it('references to a docs page from the code name a page and a heading that exist', () => {
    // This file's own fixtures name pages that exist only in their temporary directories.
    const files = ['apps', 'libs', 'test', 'scripts', 'bench'].flatMap(sourceFiles).filter((file) => join(root, file) !== __filename);
    const broken = files.flatMap((file) =>
      [...readFileSync(join(root, file), 'utf8').matchAll(/\bdocs\/[a-z-]+\.md(?:#[a-z0-9_-]+)?/g)].flatMap(([target]) => {
        const reason = unresolved(root, join(root, 'README.md'), target);
        return reason ? [`${file} → ${target}: ${reason}`] : [];
      }),
    );
    expect(broken).toEqual([]);
  });
});

describe('the link check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'backlot-links-'));
    mkdirSync(join(dir, 'docs'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing page, a missing heading, a heading that is only a comment in a code block, and a root-relative link', () => {
    writeFileSync(join(dir, 'docs', 'a.md'), '# A\n\n## Real heading\n\n```bash\n# not a heading\n```\n');
    writeFileSync(
      join(dir, 'README.md'),
      [
        '[ok](docs/a.md#real-heading) [gone](docs/missing.md)',
        '[no such heading](docs/a.md#unreal)',
        '[comment](docs/a.md#not-a-heading) [web](https://example.com/x#y)',
        '[rooted](/docs/a.md) `[in code](docs/nothing.md)`',
      ].join('\n'),
    );
    expect(brokenLinks(dir, ['README.md'])).toEqual([
      'README.md:1 → docs/missing.md: docs/missing.md does not exist',
      'README.md:2 → docs/a.md#unreal: no heading makes #unreal',
      'README.md:3 → docs/a.md#not-a-heading: no heading makes #not-a-heading',
      'README.md:4 → /docs/a.md: use a relative link (GitHub and editors resolve / differently)',
    ]);
  });

  it('follows a link whose text wraps onto the next line, and an anchor within the same page', () => {
    writeFileSync(join(dir, 'docs', 'b.md'), '# B\n\nSee [brute force and\nenumeration](#brute-force) and [here](#b).\n\n## Brute force\n');
    expect(brokenLinks(dir, ['docs/b.md'])).toEqual([]);
    writeFileSync(join(dir, 'docs', 'b.md'), '# B\n\nSee [brute force and\nenumeration](#brute-forces).\n');
    expect(brokenLinks(dir, ['docs/b.md'])).toEqual(['docs/b.md:3 → #brute-forces: no heading makes #brute-forces']);
  });

  it('makes anchors as GitHub does', () => {
    expect(githubSlug('Health: liveness and readiness')).toBe('health-liveness-and-readiness');
    expect(githubSlug('MFA (TOTP, RFC 6238)')).toBe('mfa-totp-rfc-6238');
    expect(githubSlug('One database connection, many callers (embedded)')).toBe('one-database-connection-many-callers-embedded');
    expect(githubSlug('[Linked](x.md) DATA_DIR and `npm start`'.replace(/`/g, ''))).toBe('linked-data_dir-and-npm-start');
    expect([...headingAnchors('# Title\n\n## Notes\n\n## Notes\n\n### `code` heading\n')]).toEqual([
      'title',
      'notes',
      'notes-1',
      'code-heading',
    ]);
  });
});
