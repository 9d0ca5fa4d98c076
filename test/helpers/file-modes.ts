import { chmodSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Every entry under `root` (root included) that is not owner-only: `<path> <mode>`; symbolic links are skipped. */
export function looseEntries(root: string): string[] {
  return walk(root).flatMap(({ path, directory, mode }) => (mode === (directory ? 0o700 : 0o600) ? [] : [`${path} 0${mode.toString(8)}`]));
}

/** Worse than an older build left it (its PGlite files were 0666): directories 0777, files 0666, root included. */
export function loosen(root: string): void {
  for (const { path, directory } of walk(root)) chmodSync(path, directory ? 0o777 : 0o666);
}

function walk(root: string): { path: string; directory: boolean; mode: number }[] {
  const stats = lstatSync(root);
  if (stats.isSymbolicLink()) return [];
  const self = { path: root, directory: stats.isDirectory(), mode: stats.mode & 0o7777 };
  if (!self.directory) return [self];
  return [self, ...readdirSync(root).flatMap((name) => walk(join(root, name)))];
}
