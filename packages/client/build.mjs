// Builds dist/esm (ES modules), dist/cjs (CommonJS) and dist/types (declarations) with the
// TypeScript compiler, then prints the ESM modules' size gzipped, unminified and minified (the size budget is reported).
// The `backlot` bin (src/typegen, Node only, its own tsconfig) goes to dist/esm/typegen, outside that size.
import { execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const dist = join(here, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json'), '--declaration', '--declarationDir', join(dist, 'types')], {
  stdio: 'inherit',
});
execFileSync(
  process.execPath,
  [
    tsc,
    '-p',
    join(here, 'tsconfig.json'),
    '--module',
    'commonjs',
    '--moduleResolution',
    'node10',
    '--ignoreDeprecations',
    '6.0',
    '--outDir',
    join(dist, 'cjs'),
  ],
  { stdio: 'inherit' },
);
// The package is "type": "module"; the CommonJS build says what it is.
writeFileSync(join(dist, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
execFileSync(process.execPath, [tsc, '-p', join(here, 'src/typegen/tsconfig.json')], { stdio: 'inherit' });
chmodSync(join(dist, 'esm/typegen/cli.js'), 0o755);

// The entry's modules only: the bin's folder is not read, as no app imports it.
const esm = readdirSync(join(dist, 'esm')).filter((file) => file.endsWith('.js'));
const source = esm.map((file) => readFileSync(join(dist, 'esm', file), 'utf8')).join('\n');
// What an app's bundler would ship: each module minified (swc, the repository's compiler), gzipped together.
const { minifySync } = createRequire(import.meta.url)('@swc/core');
const minified = esm
  .map((file) => minifySync(readFileSync(join(dist, 'esm', file), 'utf8'), { module: true, compress: true, mangle: true }).code)
  .join('\n');
console.log(
  `@backlot/client: ${esm.length} modules, ${source.length} bytes, ${gzipSync(source).length} bytes gzipped (unminified), ` +
    `${gzipSync(minified).length} bytes min+gzip`,
);
