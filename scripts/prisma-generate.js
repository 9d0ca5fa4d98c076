#!/usr/bin/env node
// `prisma generate` tries to download the native schema engine, which cannot be reached
// offline. Generation never uses that engine, and pointing PRISMA_SCHEMA_ENGINE_BINARY at
// any existing file (this script) makes the CLI skip the download. Migrations use the WASM engine instead.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate'], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || __filename,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
