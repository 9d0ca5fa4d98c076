import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PACKAGE = resolve(__dirname, '../../packages/client');
/** The min+gzip goal (auth + records + realtime); the whole package is held to it. */
const BUDGET_BYTES = 12 * 1024;

/** @backlot/client as it is published: built to ES modules, CommonJS and declarations, loaded by Node both ways. */
describe('@backlot/client package', () => {
  let built: string;

  beforeAll(async () => {
    built = (await run(process.execPath, [join(PACKAGE, 'build.mjs')])).stdout;
  }, 120_000);

  it('builds within its size budget and has no runtime dependencies', () => {
    const gzipped = Number(/(\d+) bytes gzipped/.exec(built)?.[1]);
    const minGzipped = Number(/(\d+) bytes min\+gzip/.exec(built)?.[1]);
    expect(minGzipped).toBeGreaterThan(1_000);
    expect(minGzipped).toBeLessThan(gzipped);
    expect(minGzipped).toBeLessThanOrEqual(BUDGET_BYTES);
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.sideEffects).toBe(false);
    expect(existsSync(join(PACKAGE, 'dist/types/index.d.ts'))).toBe(true);
  });

  it('loads as an ES module and as CommonJS, with the same exports', async () => {
    const esm = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(pathToFileURL(join(PACKAGE, 'dist/esm/index.js')).href)});
       console.log(JSON.stringify(Object.keys(m).sort()), String(m.filter\`title = \${"it's"}\`));`,
    ]);
    const cjs = await run(process.execPath, [
      '-e',
      `const m = require(${JSON.stringify(join(PACKAGE, 'dist/cjs/index.js'))});
       console.log(JSON.stringify(Object.keys(m).sort()), String(m.filter\`title = \${"it's"}\`));`,
    ]);
    expect(esm.stdout).toBe(cjs.stdout);
    expect(esm.stdout).toContain('"createClient"');
    expect(esm.stdout).toContain('"ProblemError"');
    expect(esm.stdout.trim().endsWith("title = 'it\\'s'")).toBe(true);
  });
});
