#!/usr/bin/env node
// Proves that the lint rules STYLE.md promises still fire. A rule can go quiet without any
// error (import-x/no-cycle did for months: import-x parsed no .ts dependency), and a quiet
// rule passes every lint. Each case below writes a few files that break one rule into a fresh
// folder inside the repository, so eslint.config.mjs and tsconfig.json apply exactly as to real
// code, lints them with the project's config, and fails unless that rule reports on that file.
// The folder is removed afterwards. To prove a new rule, add one entry to CASES.
'use strict';
const { mkdirSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { ESLint } = require('eslint');

const root = path.join(__dirname, '..');
/** Every `{tmp}` in a path below becomes this folder name (git-ignored). */
const TMP = `lint-check-${process.pid}`;

/**
 * name: what must be refused; rule: the rule id that must report; message: a pattern its
 * message must match (when several cases share a rule); files: path (from the repository root)
 * → content; fires: the file that must be reported. A case without `rule` is a control: all of
 * its files must lint clean, which shows the cases fail for their violation and nothing else.
 */
const CASES = [
  {
    name: 'two modules that import each other',
    rule: 'import-x/no-cycle',
    files: {
      'apps/api/src/{tmp}/cycle-a.ts': "import { b } from './cycle-b';\n\nexport const a = (): string => `a${b()}`;\n",
      'apps/api/src/{tmp}/cycle-b.ts': "import { a } from './cycle-a';\n\nexport const b = (): string => typeof a;\n",
    },
    fires: 'apps/api/src/{tmp}/cycle-a.ts',
  },
  {
    name: 'a cycle through a tsconfig path alias (@backlot/*)',
    rule: 'import-x/no-cycle',
    files: {
      'test/helpers/{tmp}/alias-a.ts': "import { b } from '@backlot/testing/{tmp}/alias-b';\n\nexport const a = (): string => `a${b()}`;\n",
      'test/helpers/{tmp}/alias-b.ts': "import { a } from './alias-a';\n\nexport const b = (): string => typeof a;\n",
    },
    fires: 'test/helpers/{tmp}/alias-a.ts',
  },
  {
    name: 'a promise nobody awaits',
    rule: '@typescript-eslint/no-floating-promises',
    files: {
      'apps/api/src/{tmp}/floating.ts': 'async function save(): Promise<void> {}\n\nexport function handler(): void {\n  save();\n}\n',
    },
    fires: 'apps/api/src/{tmp}/floating.ts',
  },
  {
    name: 'a promise used as a condition',
    rule: '@typescript-eslint/no-misused-promises',
    files: {
      'apps/api/src/{tmp}/misused.ts':
        'async function allowed(): Promise<boolean> {\n  return false;\n}\n\nexport function check(): number {\n  if (allowed()) return 1;\n  return 0;\n}\n',
    },
    fires: 'apps/api/src/{tmp}/misused.ts',
  },
  {
    name: 'await on a value that is not a promise',
    rule: '@typescript-eslint/await-thenable',
    files: { 'apps/api/src/{tmp}/thenable.ts': 'export async function answer(): Promise<number> {\n  return await 42;\n}\n' },
    fires: 'apps/api/src/{tmp}/thenable.ts',
  },
  {
    name: "a lib's source by relative path instead of its @backlot/* alias",
    rule: 'no-restricted-imports',
    message: /@backlot\/\* aliases/,
    files: {
      'apps/api/src/{tmp}/lib-path.ts': "import { projectRoot } from '../../../../libs/config/src';\n\nexport const where = projectRoot;\n",
    },
    fires: 'apps/api/src/{tmp}/lib-path.ts',
  },
  {
    name: "another lib's folder by relative path from inside a lib",
    rule: 'no-restricted-imports',
    message: /another lib through its @backlot\/\* alias/,
    files: {
      'libs/events/src/{tmp}/sibling-path.ts': "import { projectRoot } from '../../../config/src';\n\nexport const where = projectRoot;\n",
    },
    fires: 'libs/events/src/{tmp}/sibling-path.ts',
  },
  {
    name: 'test helpers by relative path instead of @backlot/testing/*',
    rule: 'no-restricted-imports',
    message: /@backlot\/testing/,
    files: { 'test/e2e/{tmp}/helper-path.ts': "import { uniqueName } from '../../helpers/test-env';\n\nexport const name = uniqueName;\n" },
    fires: 'test/e2e/{tmp}/helper-path.ts',
  },
  {
    name: 'a lib importing an app by path',
    rule: 'no-restricted-imports',
    message: /libs must not import from apps/,
    files: {
      'libs/events/src/{tmp}/app-path.ts':
        "import { createApp } from '../../../../apps/api/src/app.factory';\n\nexport const make = createApp;\n",
    },
    fires: 'libs/events/src/{tmp}/app-path.ts',
  },
  {
    name: 'a lib importing an app by alias',
    rule: 'no-restricted-imports',
    message: /libs must not import from apps/,
    files: { 'libs/events/src/{tmp}/app-alias.ts': "import { createApp } from '@backlot/api';\n\nexport const make = createApp;\n" },
    fires: 'libs/events/src/{tmp}/app-alias.ts',
  },
  {
    name: "the CLI reaching into the API app's files instead of @backlot/api",
    rule: 'no-restricted-imports',
    message: /@backlot\/api/,
    files: {
      'apps/cli/src/{tmp}/api-path.ts':
        "import { buildOpenApiDocument } from '../../../api/src/openapi';\n\nexport const build = buildOpenApiDocument;\n",
    },
    fires: 'apps/cli/src/{tmp}/api-path.ts',
  },
  {
    name: 'a service using the database lib instead of a repository',
    rule: '@typescript-eslint/no-restricted-imports',
    message: /repository/,
    files: {
      'apps/api/src/{tmp}/shortcut.service.ts':
        "import { DatabaseConnection } from '@backlot/database';\n\nexport const count = (db: DatabaseConnection) => db.query('SELECT count(*) FROM records');\n",
    },
    fires: 'apps/api/src/{tmp}/shortcut.service.ts',
  },
  {
    name: 'control: a repository may use the database, and anyone its types',
    files: {
      'apps/api/src/{tmp}/things.repository.ts':
        "import { DatabaseConnection } from '@backlot/database';\n\nexport const open = (): unknown => DatabaseConnection;\n",
      'apps/api/src/{tmp}/things.service.ts':
        "import type { Queryable } from '@backlot/database';\n\nexport const inside = (tx: Queryable): Queryable => tx;\n",
    },
  },
  {
    name: 'control: the allowed forms of the above lint clean',
    files: {
      'apps/cli/src/{tmp}/allowed.ts':
        "import { buildOpenApiDocument } from '@backlot/api';\nimport { projectRoot } from '@backlot/config';\n\nexport const allowed = [buildOpenApiDocument, projectRoot];\n",
      'test/e2e/{tmp}/allowed-helper.ts':
        "import { uniqueName } from '@backlot/testing/test-env';\nimport { later } from './allowed-later';\n\nexport async function named(): Promise<string> {\n  return `${uniqueName('x')}${await later()}`;\n}\n",
      'test/e2e/{tmp}/allowed-later.ts': "export async function later(): Promise<string> {\n  return 'later';\n}\n",
    },
  },
];

const real = (file) => path.join(root, file.replaceAll('{tmp}', TMP));
/** The folders this run creates: each path up to and including its `{tmp}` segment. */
const folders = [...new Set(CASES.flatMap((c) => Object.keys(c.files).map((file) => real(file.slice(0, file.indexOf('{tmp}') + 5)))))];
const cleanUp = () => folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));

/** Why the case failed, or null when it held. */
function verdict(testCase, messagesOf) {
  for (const file of Object.keys(testCase.files)) {
    const fatal = messagesOf(file).find((m) => m.fatal || !m.ruleId);
    if (fatal) return `${file}: not linted as real code would be (${fatal.message})`;
  }
  if (!testCase.rule) {
    const stray = Object.keys(testCase.files).flatMap((file) => messagesOf(file).map((m) => `${file}: ${m.ruleId}: ${m.message}`));
    return stray.length ? `expected no problems, got ${stray.join('; ')}` : null;
  }
  const got = messagesOf(testCase.fires);
  const hit = got.some((m) => m.ruleId === testCase.rule && (!testCase.message || testCase.message.test(m.message)));
  if (hit) return null;
  const seen = got.map((m) => `${m.ruleId}: ${m.message}`).join('; ') || 'nothing';
  return `${testCase.fires}: ${testCase.rule} did not report${testCase.message ? ` ${testCase.message}` : ''} (reported: ${seen})`;
}

async function main() {
  for (const testCase of CASES) {
    for (const [file, content] of Object.entries(testCase.files)) {
      mkdirSync(path.dirname(real(file)), { recursive: true });
      writeFileSync(real(file), content.replaceAll('{tmp}', TMP));
    }
  }
  const results = await new ESLint({ cwd: root }).lintFiles(CASES.flatMap((c) => Object.keys(c.files).map(real)));
  const byFile = new Map(results.map((r) => [r.filePath, r.messages]));
  const messagesOf = (file) => byFile.get(real(file)) ?? [{ fatal: true, message: 'not linted (ignored?)' }];

  let failed = 0;
  for (const testCase of CASES) {
    const why = verdict(testCase, messagesOf);
    if (why) failed += 1;
    const label = testCase.rule ? `${testCase.rule} refuses ${testCase.name}` : testCase.name;
    console.log(`${why ? 'FAIL' : 'ok  '} ${label}${why ? `\n     ${why}` : ''}`);
  }
  console.log(`lint rules: ${CASES.length - failed} of ${CASES.length} cases hold`);
  return failed === 0;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(1);
  });
}
main()
  .then((ok) => (process.exitCode = ok ? 0 : 1))
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(cleanUp);
