import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** scripts/build.js runs on plain Node before anything is compiled, so it is JavaScript; this is its shape. */
interface BuildScript {
  listInputs(root: string): string[];
  inputsDigest(root: string): string;
  buildState(root: string): 'missing' | 'changed' | 'current';
  build(root: string, commands: string[][]): number;
  STAMP: string;
}

const PROJECT = join(__dirname, '..', '..');
const script = createRequire(__filename)(join(PROJECT, 'scripts', 'build.js')) as BuildScript;

function write(root: string, file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** A compiler stand-in: a Node one-liner run in the project folder. */
const node = (code: string) => [process.execPath, '-e', code];
const EMIT_ENTRY_POINTS = node(
  "const fs = require('fs'); for (const app of ['api', 'cli']) { fs.mkdirSync(`dist/apps/${app}/src`, { recursive: true }); fs.writeFileSync(`dist/apps/${app}/src/main.js`, ''); } " +
    "fs.mkdirSync('dist/console', { recursive: true }); fs.writeFileSync('dist/console/index.html', '');",
);

describe('build only when the sources changed', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'backlot-build-stamp-'));
    write(root, 'apps/api/src/main.ts', 'export {};\n');
    write(root, 'apps/api/src/main.spec.ts', 'export const spec = "x";\n');
    write(root, 'libs/config/src/index.ts', 'export const a = 1;\n');
    write(root, 'libs/database/src/generated/prisma/client.ts', 'export const client = 1;\n');
    write(root, 'prisma/schema.prisma', 'model A { id Int @id }\n');
    for (const file of ['tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package-lock.json']) write(root, file, '{}\n');
    write(root, 'test/e2e/a.e2e-spec.ts', '');
    write(root, 'README.md', '# x\n');
    write(root, 'apps/console/node_modules/dep/index.js', '');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('lists the compiled sources and the files that shape the output, not tests, docs or nested packages', () => {
    expect(script.listInputs(root)).toEqual([
      'apps/api/src/main.ts',
      'libs/config/src/index.ts',
      'libs/database/src/generated/prisma/client.ts',
      'nest-cli.json',
      'package-lock.json',
      'prisma/schema.prisma',
      'tsconfig.build.json',
      'tsconfig.json',
    ]);
  });

  it('compares content: an edit, a new file or a rename changes the digest; a touch or a test edit does not', () => {
    const before = script.inputsDigest(root);
    utimesSync(join(root, 'apps/api/src/main.ts'), new Date(), new Date(Date.now() + 60_000));
    write(root, 'apps/api/src/main.spec.ts', 'export const spec = "y";\n');
    write(root, 'README.md', '# y\n');
    expect(script.inputsDigest(root)).toBe(before);

    write(root, 'libs/config/src/index.ts', 'export const a = 2;\n');
    const edited = script.inputsDigest(root);
    expect(edited).not.toBe(before);
    write(root, 'libs/config/src/index.ts', 'export const a = 1;\n');
    expect(script.inputsDigest(root)).toBe(before);

    write(root, 'libs/config/src/extra.ts', '');
    expect(script.inputsDigest(root)).not.toBe(before);
    rmSync(join(root, 'libs/config/src/extra.ts'));
    cpSync(join(root, 'libs/config/src/index.ts'), join(root, 'libs/config/src/renamed.ts'));
    rmSync(join(root, 'libs/config/src/index.ts'));
    expect(script.inputsDigest(root)).not.toBe(before);
  });

  it('builds when there is no build, skips an unchanged tree, and builds again after an edit', () => {
    expect(script.buildState(root)).toBe('missing');
    expect(script.build(root, [EMIT_ENTRY_POINTS])).toBe(0);
    expect(script.buildState(root)).toBe('current');

    write(root, 'prisma/schema.prisma', 'model B { id Int @id }\n');
    expect(script.buildState(root)).toBe('changed');
    expect(script.build(root, [EMIT_ENTRY_POINTS])).toBe(0);
    expect(script.buildState(root)).toBe('current');

    rmSync(join(root, 'dist/apps/cli'), { recursive: true });
    expect(script.buildState(root)).toBe('missing');
  });

  it('leaves no stamp when the build fails, so the next start builds again', () => {
    expect(script.build(root, [EMIT_ENTRY_POINTS])).toBe(0);
    write(root, 'apps/api/src/main.ts', 'export const broken = ;\n');
    expect(script.build(root, [node('process.exit(3)')])).toBe(3);
    expect(existsSync(join(root, script.STAMP))).toBe(false);
    expect(script.buildState(root)).toBe('missing');
  });

  it('stamps the inputs as they were when the build started: an edit during the build is built next time', () => {
    const editDuringBuild = node(`${EMIT_ENTRY_POINTS[2]}; fs.writeFileSync('apps/api/src/main.ts', 'export const late = 1;\\n');`);
    expect(script.build(root, [editDuringBuild])).toBe(0);
    expect(script.buildState(root)).toBe('changed');
  });

  it('every package script that runs the compiled app builds first when the sources changed', () => {
    const scripts = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBe('node scripts/build.js');
    expect(scripts.prestart).toBe('node scripts/build.js --if-changed');
    const runsBuild = Object.entries(scripts).filter(
      ([name, command]) => name !== 'start:prod' && name !== 'start' && /\bdist\/|bench\/\w+\.js/.test(command),
    );
    expect(runsBuild.length).toBeGreaterThan(5);
    for (const [name, command] of runsBuild) expect(`${name}: ${command}`).toMatch(/^[\w:-]+: node scripts\/build\.js --if-changed && /);
  });
});

describe('scripts/build.js --if-changed on a copy of this project (one real nest and console build)', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'backlot-build-copy-'));
    for (const entry of [
      'apps',
      'libs',
      // The console (apps/console) is built from the client's sources.
      'packages/client/src',
      'scripts',
      'prisma/schema.prisma',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
      'package.json',
      'package-lock.json',
    ])
      cpSync(join(PROJECT, entry), join(root, entry), { recursive: true });
    symlinkSync(realpathSync(join(PROJECT, 'node_modules')), join(root, 'node_modules'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const run = () => spawnSync(process.execPath, ['scripts/build.js', '--if-changed'], { cwd: root, encoding: 'utf8' });

  it('builds a fresh clone, then starts without rebuilding until a source changes', () => {
    const first = run();
    expect(first.stderr).toContain('No build yet: building');
    expect(first.status).toBe(0);
    expect(existsSync(join(root, 'dist/console/index.html'))).toBe(true);
    const entry = join(root, 'dist/apps/api/src/main.js');
    const builtAt = statSync(entry).mtimeMs;

    const second = run();
    expect(second.status).toBe(0);
    expect(second.stderr).toContain('The build is up to date');
    expect(statSync(entry).mtimeMs).toBe(builtAt);

    write(root, 'apps/api/src/main.ts', `${readFileSync(join(root, 'apps/api/src/main.ts'), 'utf8')}\n// edited\n`);
    expect(script.buildState(root)).toBe('changed');
  }, 300_000);
});
