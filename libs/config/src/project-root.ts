import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The folder holding Backlot's package.json. Code runs from the TypeScript sources under Jest and
 * from `dist/` when built, so files shipped beside it (prisma/) are found from here.
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  while (dirname(dir) !== dir) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'backlot') {
      cached = dir;
      return dir;
    }
    dir = dirname(dir);
  }
  cached = process.cwd();
  return cached;
}

export function packageVersion(): string {
  const manifest = join(projectRoot(), 'package.json');
  return existsSync(manifest) ? ((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '0.0.0') : '0.0.0';
}
