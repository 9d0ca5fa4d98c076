import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export interface ConsoleFile {
  type: string;
  body: Buffer;
  /** Hashed names (assets/) never change content: cache them for good; index.html must be asked for each time. */
  immutable: boolean;
}

/**
 * The console's build, read once at start: under a megabyte, and a fixed set of names means
 * no request path ever reaches the file system. Null when the console was not built.
 */
export function readConsoleFiles(dir: string): Map<string, ConsoleFile> | null {
  if (!existsSync(join(dir, 'index.html'))) return null;
  const files = new Map<string, ConsoleFile>();
  const visit = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile() && TYPES[extname(entry.name)]) {
        const name = relative(dir, path).split(sep).join('/');
        files.set(name, { type: TYPES[extname(entry.name)], body: readFileSync(path), immutable: name.startsWith('assets/') });
      }
    }
  };
  visit(dir);
  return files;
}
