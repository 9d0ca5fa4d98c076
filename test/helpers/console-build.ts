import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');

/**
 * The console (apps/console) built from the current sources into a directory of its own, for
 * an app started with CONSOLE_DIR pointing there: dist/console may be stale, or being rebuilt.
 */
export async function buildConsole(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'backlot-console-'));
  const vite = join(dirname(require.resolve('vite/package.json')), 'bin', 'vite.js');
  const config = join(ROOT, 'apps/console/vite.config.mjs');
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', '--config', config, '--outDir', dir, '--emptyOutDir', '--bypass-lock', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      // Built as it ships: Vite takes NODE_ENV from the environment, and jest's (test) would give React's
      // development build and switch React Aria's virtualizer to its jsdom mode (every row rendered).
      // --bypass-lock: each build has its own outDir, so specs building at once (jest workers) may.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
