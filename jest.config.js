// @ts-check
/**
 * Jest runs CommonJS on Node 20, but NestJS 12 and a few of its dependencies ship ESM only.
 * @swc/jest compiles our TypeScript and those packages to CJS; every other node_modules
 * package is left alone (the list is computed, so new ESM-only dependencies just work).
 */
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

function esmPackages() {
  const root = join(__dirname, 'node_modules');
  const names = [];
  const visit = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() && !entry.isSymbolicLink()) continue;
      if (entry.name.startsWith('.')) continue;
      if (entry.name.startsWith('@') && !prefix) {
        visit(join(dir, entry.name), `${entry.name}/`);
        continue;
      }
      const manifest = join(dir, entry.name, 'package.json');
      if (!existsSync(manifest)) continue;
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).type === 'module') names.push(prefix + entry.name);
      } catch {
        // unreadable manifest: not ours to transform
      }
    }
  };
  visit(root, '');
  return names;
}

const escapeRegExp = (name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const shared = {
  testEnvironment: 'node',
  testTimeout: 60_000,
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages().map(escapeRegExp).join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // First match wins: the aliases that are not libs come before the libs' pattern.
  moduleNameMapper: {
    '^@backlot/api$': '<rootDir>/apps/api/src',
    '^@backlot/client$': '<rootDir>/packages/client/src',
    // The SDK's sources import each other as ES modules do (./auth.js); here they are TypeScript.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@backlot/testing/(.*)$': '<rootDir>/test/helpers/$1',
    '^@backlot/(.*)$': '<rootDir>/libs/$1/src',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: process.env.JEST_WORKERS ?? 2,
  // A worker keeps what suites leave behind (embedded databases' WASM memory, Nest apps' module
  // graphs): one reached 3.7 GB in a CI run, and a suite that takes 20 s alone took 229 s in it.
  // A worker past this size is replaced after its current suite.
  workerIdleMemoryLimit: '1536MB',
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,packages}/**/*.spec.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
