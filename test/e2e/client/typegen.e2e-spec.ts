import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { strictClientProgramOptions } from '@backlot/testing/strict-program';
import { type BacklotClient, createClient } from '@backlot/client';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';
import { eventually } from '@backlot/testing/test-jobs';

const ROOT = resolve(__dirname, '../../..');

/** Every field type the server has, relations between the collections (one to itself) and a hidden and an encrypted field. */
const COLLECTIONS = [
  { name: 'tags', fields: [{ name: 'label', type: 'text', required: true }] },
  {
    name: 'projects',
    description: 'Work we plan. */ Not the end of the comment.',
    fields: [
      { name: 'name', type: 'text', required: true },
      { name: 'code', type: 'integer' },
      { name: 'budget', type: 'number' },
      { name: 'active', type: 'boolean' },
      { name: 'starts', type: 'datetime' },
      { name: 'contact', type: 'email' },
      { name: 'site', type: 'url' },
      { name: 'meta', type: 'json' },
      { name: 'logo', type: 'file' },
      { name: 'docs', type: 'file', multiple: true },
      { name: 'lead', type: 'user' },
      { name: 'internal', type: 'text', hidden: true },
      { name: 'note', type: 'text', encrypted: true },
    ],
  },
  {
    name: 'todos',
    fields: [
      { name: 'title', type: 'text', required: true },
      { name: 'done', type: 'boolean', default: false },
      { name: 'status', type: 'select', values: ['open', 'in progress', "won't do"], required: true, default: 'open' },
      { name: 'labels', type: 'select', values: ['bug', 'ui'], multiple: true },
      { name: 'project', type: 'relation', collection: 'projects' },
      { name: 'tags', type: 'relation', collection: 'tags', multiple: true },
      { name: 'parent', type: 'relation', collection: 'todos' },
    ],
  },
];

/** Right and wrong uses of the generated types: each wrong one must be a type error, or its @ts-expect-error is. */
const USAGE = `import { createClient, type RecordOf, type StoredFile } from '@backlot/client';
import type { Collections, Project, Todo } from './backlot';

export async function use(): Promise<void> {
  const client = createClient<Collections>({ url: 'http://127.0.0.1:1' });
  const todos = client.collection('todos');
  const todo = await todos.create({ title: 'typed', status: 'in progress', labels: ['bug'], project: 'p', tags: ['t'], done: null });
  const title: string = todo.title;
  const status: 'open' | 'in progress' | "won't do" = todo.status;
  const labels: ('bug' | 'ui')[] | null | undefined = todo.labels;
  const project: RecordOf<Project> | null | undefined = todo.expand?.project;
  const tagLabels: string[] | undefined = todo.expand?.tags?.map((tag) => tag.label);
  const parentTitle: string | undefined = todo.expand?.parent?.title;
  const first = (await client.collection('projects').list()).items[0];
  const logo: StoredFile | null | undefined = first?.logo;
  const docs: StoredFile[] | null | undefined = first?.docs;
  const code: number | null | undefined = first?.code;
  const meta: unknown = first?.meta;
  await todos.update(todo, { done: true, status: "won't do" });
  await todos.batch([{ action: 'create', data: { title: 'more' } }]);
  const byHand = client.collection<Todo>('todos');
  void [title, status, labels, project, tagLabels, parentTitle, logo, docs, code, meta, byHand];

  // @ts-expect-error done is a boolean
  await todos.create({ done: 'yes' });
  // @ts-expect-error not one of the status values
  await todos.create({ status: 'closed' });
  // @ts-expect-error not one of the labels values
  await todos.update(todo, { labels: ['feature'] });
  // @ts-expect-error no such collection
  client.collection('todoz');
  // @ts-expect-error not a field of todos
  await todos.create({ priority: 1 });
  // @ts-expect-error a project has no title
  void todo.expand?.project?.title;
  // @ts-expect-error tags expand to a list
  void todo.expand?.tags?.label;
  // @ts-expect-error a required field is never null
  const never: null = todo.title;
  void never;
}
`;

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

let previous: ts.Program | undefined;

/** Type errors of a strict program made of these files and the client's sources. */
function typeErrors(dir: string, files: Record<string, string>): string[] {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  // The previous program lends its unchanged files (the DOM library, the client), parsed once.
  const program = (previous = ts.createProgram(
    Object.keys(files).map((name) => join(dir, name)),
    strictClientProgramOptions(join(ROOT, 'packages/client/src/index.ts')),
    undefined,
    previous,
  ));
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${d.file?.fileName.slice(dir.length + 1)}:${line} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

/** `backlot typegen` against a running Backlot, as the built bin: types that compile, --check, --schema, --watch, errors. */
describe('backlot typegen', () => {
  let t: TestApp;
  let admin: UserSession;
  let sdk: BacklotClient;
  let work: string;
  let cli: string;
  let apiKey: string;
  const out = () => join(work, 'backlot.ts');

  function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done, fail) => {
      // Only PATH from this process: a BACKLOT_* variable of the machine must not change the run.
      const child = spawn(process.execPath, [cli, 'typegen', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', fail);
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
  }

  async function createKey(scopes: string[]): Promise<string> {
    const response = await admin.json('POST', '/auth/api-keys', { name: `typegen ${scopes.join(' ')}`, scopes });
    expect(response.status).toBe(201);
    return (await json<{ key: string }>(response)).key;
  }

  async function addField(collection: string, field: Record<string, unknown>): Promise<void> {
    const current = await json<{ fields: unknown[] }>(await admin.request(`/collections/${collection}`));
    expect((await admin.json('PATCH', `/collections/${collection}`, { fields: [...current.fields, field] })).status).toBe(200);
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'backlot-typegen-'));
    // The bin as packages/client/build.mjs compiles it (same tsconfig), into this run's directory:
    // build.mjs empties packages/client/dist, which the package test reads when it runs beside this one.
    cli = join(work, 'bin/typegen/cli.js');
    const build = promisify(execFile)(process.execPath, [
      require.resolve('typescript/bin/tsc'),
      '-p',
      join(ROOT, 'packages/client/src/typegen/tsconfig.json'),
      '--outDir',
      join(work, 'bin'),
    ]).then(() => writeFileSync(join(work, 'bin/package.json'), '{ "type": "module" }\n'));
    [t] = await Promise.all([startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } }), build]);
    admin = await signedInUser(t, { role: 'admin' });
    for (const collection of COLLECTIONS)
      expect((await admin.json('POST', '/collections', { ...collection, rules: OWNER_ONLY_RULES })).status).toBe(201);
    apiKey = await createKey(['records:read']);
    sdk = createClient({ url: t.baseUrl });
    await sdk.auth.login(admin.email, admin.password);
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes types from a running server that a strict program uses, and real responses satisfy', async () => {
    const result = await run(['--url', t.baseUrl, '--api-key', apiKey, '--out', out()]);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: `Wrote ${out()} (3 collections).\n` });
    const types = readFileSync(out(), 'utf8');
    expect(types).toContain('export interface Collections {\n  projects: Project;\n  tags: Tag;\n  todos: Todo;\n}');
    expect(types).not.toContain(apiKey);

    // What the server answers, typed with the generated types: a field it returns that the types
    // lack, or a value of another type (null where none is allowed), is a compile error.
    const tag = await sdk.collection('tags').create({ label: 'home' });
    const project = await sdk
      .collection('projects')
      .create(
        { name: 'Backlot', code: 7, meta: { any: ['json'] }, lead: admin.userId, internal: 'x', note: 'sealed' },
        { files: { logo: { data: new Blob(['logo']), name: 'logo.txt' }, docs: [new Blob(['a']), new Blob(['b'])] } },
      );
    // Cleared fields come back as null: the types must allow it where the field is not required.
    const parent = await sdk.collection('todos').create({ title: 'parent', project: null, labels: null });
    expect(parent).toMatchObject({ project: null, labels: null, status: 'open', done: false });
    const todo = await sdk
      .collection('todos')
      .create({ title: 'child', labels: ['ui'], project: project.id, tags: [tag.id], parent: parent.id });
    const expanded = await sdk.collection('todos').get(todo.id, { expand: ['project', 'tags', 'parent'] });
    expect(expanded.expand).toMatchObject({ project: { name: 'Backlot' }, tags: [{ label: 'home' }], parent: { title: 'parent' } });
    const samples = `import type { RecordOf } from '@backlot/client';
import type { Project, Todo } from './backlot';
export const expanded: RecordOf<Todo> = ${JSON.stringify(expanded)};
export const bare: RecordOf<Todo> = ${JSON.stringify(parent)};
export const projects: RecordOf<Project>[] = ${JSON.stringify((await sdk.collection('projects').list()).items)};
`;
    expect(typeErrors(work, { 'backlot.ts': types, 'usage.ts': USAGE, 'samples.ts': samples })).toEqual([]);
    // The same program fails once the wrong uses lose their markers: the types do the checking.
    const unmarked = USAGE.replace(/\/\/ @ts-expect-error.*/g, '');
    expect(typeErrors(work, { 'backlot.ts': types, 'usage.ts': unmarked }).length).toBe(USAGE.split('@ts-expect-error').length - 1);
  });

  it('--check exits 0 while the file is up to date and 1 after a schema change; a rewrite happens only on change', async () => {
    await run(['--url', t.baseUrl, '--api-key', apiKey, '--out', out()]);
    const written = statSync(out()).mtimeMs;
    expect(await run(['--url', t.baseUrl, '--api-key', apiKey, '--out', out(), '--check'])).toMatchObject({
      code: 0,
      stderr: `${out()} is up to date.\n`,
    });
    expect(await run(['--url', t.baseUrl, '--out', out()], { BACKLOT_API_KEY: apiKey })).toMatchObject({ code: 0 });
    expect(statSync(out()).mtimeMs).toBe(written);

    await addField('todos', { name: 'priority', type: 'integer' });
    const stale = await run(['--url', t.baseUrl, '--api-key', apiKey, '--out', out(), '--check']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/is out of date \(from line \d+\): run backlot typegen without --check/);
    expect(readFileSync(out(), 'utf8')).not.toContain('priority');
    expect((await run(['--url', t.baseUrl, '--api-key', apiKey, '--out', out()])).code).toBe(0);
    expect(readFileSync(out(), 'utf8')).toContain('  priority?: number | null;');
    expect((await run(['--url', t.baseUrl, '--api-key', apiKey, '--out', out(), '--check'])).code).toBe(0);
  });

  it('reads a saved schema offline (--schema) and gives the same types, to a file or standard output', async () => {
    const schema = join(work, 'schema.json');
    writeFileSync(schema, await (await admin.request('/collections')).text());
    const fromServer = (await run(['--url', t.baseUrl, '--api-key', apiKey])).stdout;
    expect(fromServer).toBe(readFileSync(out(), 'utf8'));
    expect(await run(['--schema', schema])).toMatchObject({ code: 0, stdout: fromServer, stderr: '' });
    expect(await run(['--schema', schema, '--out', out(), '--check'])).toMatchObject({ code: 0 });

    writeFileSync(schema, '{ "items": [ { "name": "todos", ');
    const broken = await run(['--schema', schema]);
    expect(broken).toMatchObject({ code: 3, stdout: '' });
    expect(broken.stderr).toContain(`${schema} is not valid JSON`);
  });

  it('says which credential is needed when one is refused, without printing it, and exits 3', async () => {
    const wrong = `blk_${'x'.repeat(43)}`;
    const refused = await run(['--url', t.baseUrl, '--out', out()], { BACKLOT_API_KEY: wrong });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('The server refused the credentials (401: The API key is invalid, expired or revoked.)');
    expect(refused.stderr).toContain('records:read scope (--api-key or BACKLOT_API_KEY)');
    expect(refused.stderr).not.toContain('x'.repeat(10));

    const profileKey = await createKey(['profile:read']);
    const forbidden = await run(['--url', t.baseUrl, '--api-key', profileKey]);
    expect(forbidden).toMatchObject({ code: 3, stdout: '' });
    expect(forbidden.stderr).toContain('(403: The API key lacks the scope records:read.)');
    expect(forbidden.stderr).not.toContain(profileKey.slice(4));

    const closed = await closedPort();
    const unreachable = await run(['--url', `http://127.0.0.1:${closed}`, '--api-key', apiKey]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`Cannot reach http://127.0.0.1:${closed}/api/v1/collections (ECONNREFUSED)`);

    // An admin's access token works as well as a key.
    expect((await run(['--url', t.baseUrl, '--out', out(), '--check'], { BACKLOT_TOKEN: admin.accessToken })).code).toBe(0);
  });

  it('--watch rewrites the file when the schema changes', async () => {
    const watched = join(work, 'watched/backlot.ts');
    const child = spawn(process.execPath, [cli, 'typegen', '--url', t.baseUrl, '--out', watched, '--watch', '--interval', '0.2'], {
      env: { PATH: process.env.PATH ?? '', BACKLOT_API_KEY: apiKey },
    });
    const closed = new Promise((done) => child.on('close', done));
    try {
      await eventually('the first write', () => statSync(watched, { throwIfNoEntry: false }));
      expect(readFileSync(watched, 'utf8')).toBe(readFileSync(out(), 'utf8'));
      await addField('tags', { name: 'color', type: 'select', values: ['red', 'blue'] });
      await eventually('the rewrite', () => readFileSync(watched, 'utf8').includes("color?: 'red' | 'blue' | null;"));
    } finally {
      child.kill();
      await closed;
    }
  });
});
