#!/usr/bin/env node
// `npm run build` compiles with `nest build` every time. `npm start` and the CLI scripts run
// `node scripts/build.js --if-changed`, which compiles only when the build's inputs differ from
// those of the last successful build: a restart on an unchanged tree skips the 20–60 s compile.
//
// The inputs are compared by content (SHA-256), not by modification time: `npm install`
// regenerates the Prisma client with the same content, a checkout rewrites files, and an
// editor may save without changes; none of that changes what the compiler would emit.
'use strict';
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, sep } = require('node:path');

/** Folders compiled into dist (except tests beside the code), and the files that change the output. */
const SOURCE_DIRS = ['apps', 'libs', 'packages/client/src'];
const CONFIG_FILES = ['prisma/schema.prisma', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json'];
/** Excluded by tsconfig.build.json, so never in dist; `node_modules` and `dist` belong to nested packages' own builds. */
const NOT_COMPILED = /\.(spec|test)\.ts$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);
/** What `npm start` and the CLI run: a build without them is not a build. */
const ENTRY_POINTS = ['dist/apps/api/src/main.js', 'dist/apps/cli/src/main.js', 'dist/console/index.html'];
const STAMP = 'dist/.build-stamp.json';

/** The build's input files, relative to `root` with `/` separators, sorted. */
function listInputs(root) {
  const files = CONFIG_FILES.filter((file) => existsSync(join(root, file)));
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) visit(path);
      else if (entry.isFile() && !NOT_COMPILED.test(entry.name)) files.push(relative(root, path).split(sep).join('/'));
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) visit(join(root, dir));
  return files.sort();
}

/** One digest of every input's path and content: a file added, removed, renamed or edited changes it. */
function inputsDigest(root) {
  const digest = createHash('sha256');
  for (const file of listInputs(root)) {
    digest.update(
      `${file}\0${createHash('sha256')
        .update(readFileSync(join(root, file)))
        .digest('hex')}\n`,
    );
  }
  return digest.digest('hex');
}

/** 'missing' (no complete build), 'changed' (built from other inputs) or 'current'. */
function buildState(root) {
  if (!ENTRY_POINTS.every((file) => existsSync(join(root, file)))) return 'missing';
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8'));
  } catch {
    return 'missing'; // built by an older script, or a build that did not finish
  }
  return stamp.inputs === inputsDigest(root) ? 'current' : 'changed';
}

/**
 * Runs `commands` (the compilers) in `root`, one after the other, and stamps dist with the
 * inputs they compiled. The digest is taken before compiling, so an edit made during the build
 * triggers the next one; the old stamp goes first, so a build that fails or is interrupted leaves none.
 */
function build(root, commands) {
  const inputs = inputsDigest(root);
  rmSync(join(root, STAMP), { force: true });
  for (const command of commands) {
    const result = spawnSync(command[0], command.slice(1), { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) return result.status ?? 1;
  }
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, STAMP), `${JSON.stringify({ inputs, builtAt: new Date().toISOString() })}\n`);
  return 0;
}

function nestBuild(root) {
  return [process.execPath, require.resolve('@nestjs/cli/bin/nest.js', { paths: [root] }), 'build', 'api'];
}

/** The admin console (apps/console) into dist/console; after nest's, which empties dist first. */
function consoleBuild(root) {
  // vite's package exports hide its bin: found from its manifest, which it does export.
  const vite = join(dirname(require.resolve('vite/package.json', { paths: [root] })), 'bin', 'vite.js');
  return [process.execPath, vite, 'build', '--config', join(root, 'apps/console/vite.config.mjs'), '--logLevel', 'warn'];
}

function main(root, args) {
  if (args.includes('--if-changed')) {
    const state = buildState(root);
    if (state === 'current') {
      process.stderr.write('The build is up to date with the sources (`npm run build` forces one).\n');
      return 0;
    }
    process.stderr.write(state === 'missing' ? 'No build yet: building…\n' : 'Sources changed since the last build: building…\n');
  }
  return build(root, [nestBuild(root), consoleBuild(root)]);
}

module.exports = { listInputs, inputsDigest, buildState, build, STAMP };

if (require.main === module) process.exit(main(join(__dirname, '..'), process.argv.slice(2)));
