import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { strictClientProgramOptions } from '@backlot/testing/strict-program';
import { FIELD_TYPES } from '../../../apps/api/src/data/collections/field-definition';
import { main } from '../src/typegen/command';
import { type CollectionSchema, type FieldSchema, generate } from '../src/typegen/generate';
import { parseSchema, SchemaError } from '../src/typegen/source';

const CLIENT = resolve(__dirname, '../src/index.ts');

/** The members of the interface `name` in `text`, one per line, without doc comments. */
function members(text: string, name: string): string[] {
  const body = new RegExp(`export interface ${name} \\{\\n([\\s\\S]*?)\\n\\}`).exec(text)?.[1];
  if (body === undefined) throw new Error(`no interface ${name} in:\n${text}`);
  return body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('/**') && !line.startsWith('*'));
}

const one = (field: FieldSchema, more: CollectionSchema[] = []) => generate([{ name: 'things', fields: [field] }, ...more]);

/** Type errors of a strict program made of these files (the generated one among them), beside the client's sources. */
function diagnostics(files: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'typegen-spec-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const program = ts.createProgram(
      Object.keys(files).map((name) => join(dir, name)),
      strictClientProgramOptions(CLIENT),
    );
    return ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName.slice(dir.length + 1) ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('generate(): field types as the server returns them', () => {
  it.each([
    [{ type: 'text', required: true }, 'v: string;'],
    [{ type: 'text' }, 'v?: string | null;'],
    [{ type: 'email' }, 'v?: string | null;'],
    [{ type: 'url', required: true }, 'v: string;'],
    [{ type: 'number' }, 'v?: number | null;'],
    [{ type: 'integer', required: true }, 'v: number;'],
    [{ type: 'boolean', required: true }, 'v: boolean;'],
    [{ type: 'datetime' }, 'v?: string | null;'],
    [{ type: 'user', required: true }, 'v: string;'],
    [{ type: 'json', required: true }, 'v: unknown;'],
    [{ type: 'json' }, 'v?: unknown;'],
    [{ type: 'select', values: ['open', 'done'], required: true }, "v: 'open' | 'done';"],
    [{ type: 'select', values: ['a', 'b'], multiple: true }, "v?: ('a' | 'b')[] | null;"],
    [{ type: 'select', values: ['only'], multiple: true, required: true }, "v: 'only'[];"],
    [{ type: 'relation', collection: 'things', required: true }, 'v: string;'],
    [{ type: 'relation', collection: 'things', multiple: true }, 'v?: string[] | null;'],
    [{ type: 'file', required: true }, 'v: StoredFile;'],
    [{ type: 'file', multiple: true }, 'v?: StoredFile[] | null;'],
    // Never in a response (hidden), or null when it cannot be decrypted (encrypted), even if required.
    [{ type: 'text', required: true, hidden: true }, 'v?: string;'],
    [{ type: 'text', required: true, encrypted: true }, 'v: string | null;'],
  ])('%j → %s', (field, expected) => {
    expect(members(one({ name: 'v', ...field }), 'Thing')[0]).toBe(expected);
  });

  it('knows every field type the server defines (a new one fails here until typegen maps it)', () => {
    for (const type of FIELD_TYPES) {
      const text = one({ name: 'v', type, values: ['a'], collection: 'things' });
      expect(text).not.toContain('is unknown to this version');
      if (type !== 'json') expect(members(text, 'Thing')[0]).not.toContain('unknown');
    }
    expect(one({ name: 'v', type: 'geo' })).toContain('Field type `geo` is unknown to this version of typegen.');
  });

  it('imports StoredFile and RecordOf only when used', () => {
    expect(one({ name: 'v', type: 'text' })).not.toContain('import');
    expect(one({ name: 'v', type: 'file' })).toContain("import type { StoredFile } from '@backlot/client';");
    expect(one({ name: 'v', type: 'relation', collection: 'things' })).toContain("import type { RecordOf } from '@backlot/client';");
  });

  it("types expand from the relation fields, with the target collection's record type", () => {
    const text = generate([
      {
        name: 'todos',
        fields: [
          { name: 'project', type: 'relation', collection: 'projects' },
          { name: 'tags', type: 'relation', collection: 'tags', multiple: true },
          { name: 'secret', type: 'relation', collection: 'vault' },
        ],
      },
      { name: 'projects', fields: [{ name: 'name', type: 'text', required: true }] },
      { name: 'tags', fields: [] },
    ]);
    expect(members(text, 'Todo')).toContain('expand?: TodoExpand;');
    expect(members(text, 'TodoExpand')).toEqual([
      'project?: RecordOf<Project> | null;',
      'secret?: RecordOf<Record<string, unknown>> | null;',
      'tags?: RecordOf<Tag>[];',
    ]);
    expect(text).not.toContain('ProjectExpand');
    expect(members(text, 'Collections')).toEqual(['projects: Project;', 'tags: Tag;', 'todos: Todo;']);
  });
});

describe('generate(): names, escaping, determinism', () => {
  const odd: CollectionSchema[] = [
    { name: '2fa-codes', fields: [{ name: 'weird-name', type: 'integer' }] },
    { name: 'category', fields: [] },
    { name: 'categories', fields: [] },
    { name: 'todos', fields: [{ name: 'parent', type: 'relation', collection: 'todos' }] },
    { name: 'todo_expand', fields: [] },
    { name: 'stored_files', fields: [] },
    { name: 'record_of', fields: [] },
    { name: 'records', fields: [{ name: 'elsewhere', type: 'relation', collection: 'not_listed' }] },
    { name: 'delete', fields: [{ name: 'class', type: 'text' }] },
    { name: '日本', fields: [] },
    { name: "it's", fields: [] },
  ];

  it('gives every collection a unique PascalCase type, quoting keys that are not identifiers', () => {
    const text = generate(odd);
    expect(members(text, 'Collections')).toEqual([
      "'2fa-codes': _2faCode;",
      'categories: Categories;',
      'category: Category;',
      'delete: Delete;',
      "'it\\'s': It;",
      'record_of: RecordOf2;',
      'records: Records;',
      'stored_files: StoredFiles;',
      'todo_expand: TodoExpand;',
      'todos: Todo;',
      "'日本': Collection;",
    ]);
    expect(members(text, '_2faCode')).toEqual(["'weird-name'?: number | null;"]);
    expect(members(text, 'Todo')).toContain('expand?: TodoExpand2;');
    expect(diagnostics({ 'types.ts': text })).toEqual([]);
  });

  it('keeps descriptions in doc comments that nothing in them can end early', () => {
    const hostile = 'Ends */ here; export const pwned = 1; /*\nline two */';
    const text = generate([{ name: 'notes', description: hostile, fields: [{ name: 'body', type: 'text', description: '*/ x' }] }]);
    expect(text).not.toMatch(/\*\/ here/);
    expect(text).toContain(' * Ends *\\/ here; export const pwned = 1; /*');
    expect(text).toContain('/** *\\/ x */');
    expect(diagnostics({ 'types.ts': text })).toEqual([]);
    const declared = ts.createSourceFile('t.ts', text, ts.ScriptTarget.ES2022).statements.map((s) => ts.SyntaxKind[s.kind]);
    expect(declared).toEqual(['InterfaceDeclaration', 'InterfaceDeclaration']);
  });

  it('writes select values as string literals, whatever they hold', () => {
    const values = ["it's", 'a"b', 'back\\slash', 'line\nbreak', '${x}'];
    const text = one({ name: 'v', type: 'select', values, required: true });
    expect(
      diagnostics({
        'types.ts': text,
        'use.ts': `import type { Thing } from './types';\nconst all: Thing['v'][] = ${JSON.stringify(values)};\nvoid all;\n`,
      }),
    ).toEqual([]);
  });

  it('gives the same text for the same schema, whatever order it lists collections and fields in', () => {
    const fields: FieldSchema[] = [
      { name: 'b', type: 'text' },
      { name: 'a', type: 'number' },
      { name: 'c', type: 'relation', collection: 'x' },
    ];
    const text = generate([
      { name: 'y', fields },
      { name: 'x', fields: [] },
    ]);
    expect(
      generate([
        { name: 'x', fields: [] },
        { name: 'y', fields: [...fields].reverse() },
      ]),
    ).toBe(text);
    expect(members(text, 'Y')).toEqual(['a?: number | null;', 'b?: string | null;', 'c?: string | null;', 'expand?: YExpand;']);
    expect(text.indexOf('interface X ')).toBeLessThan(text.indexOf('interface Y '));
    expect(generate([])).toContain('export interface Collections {}');
  });
});

describe('reading a schema and the command line', () => {
  it('accepts what GET /collections answers and names the first thing wrong otherwise', () => {
    const answer = JSON.stringify({ items: [{ id: 'x', name: 'todos', fields: [{ name: 'title', type: 'text', unique: true }] }] });
    expect(parseSchema(answer, 'f')).toEqual([{ name: 'todos', fields: [{ name: 'title', type: 'text' }] }]);
    const fails = (text: string) => () => parseSchema(text, 'schema.json');
    expect(fails('{ items: ')).toThrow(/^schema.json is not valid JSON/);
    expect(fails('{"collections": []}')).toThrow('schema.json is not a collection list: expected { "items": [ … ] }.');
    expect(fails('{"items": [{"name": "a", "fields": [{"name": "x"}]}]}')).toThrow(
      'schema.json: items[0].fields[0].type must be a non-empty string.',
    );
    expect(fails('[{"name": "a", "fields": []}, {"name": "a", "fields": []}]')).toThrow(SchemaError);
    expect(fails('[{"name": "a", "fields": [{"name": "x", "type": "text", "required": "yes"}]}]')).toThrow(
      /required must be true or false/,
    );
  });

  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { env: {}, stdout: (text) => out.push(text), stderr: (text) => err.push(text) });
    return { code, out: out.join(''), err: err.join('\n') };
  }

  it('refuses bad arguments with exit code 2 and says why, never echoing a key', async () => {
    expect(await run('typegen')).toMatchObject({ code: 2, err: expect.stringContaining('--url <server> (or BACKLOT_URL) or --schema') });
    expect(await run('typegen', '--schema', 'a.json', '--check')).toMatchObject({ code: 2, err: expect.stringContaining('--out') });
    expect(await run('typegen', '--url', 'http://x', '--api-key', 'blk_a', '--token', 't')).toMatchObject({ code: 2 });
    const stray = await run('typegen', '--url', 'http://x', 'blk_0123456789abcdef');
    expect(stray.code).toBe(2);
    expect(stray.err).not.toContain('0123456789abcdef');
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';
    const strayToken = await run('typegen', '--url', 'http://x', jwt);
    expect(strayToken.code).toBe(2);
    expect(strayToken.err).not.toContain('eyJzdWIiOiJ1MSJ9');
    const password = await run('typegen', '--url', 'http://ada:hunter2@', '--api-key', 'blk_a');
    expect(password.code).not.toBe(0);
    expect(password.err).not.toContain('hunter2');
    expect(await run('deploy')).toMatchObject({ code: 2, err: expect.stringContaining('Unknown command') });
    expect(await run('typegen', '--help')).toMatchObject({ code: 0, out: expect.stringContaining('--check') });
  });

  it('exits 3 with the reason when the schema cannot be read', async () => {
    const result = await run('typegen', '--schema', join(tmpdir(), 'no-such-schema.json'));
    expect(result).toMatchObject({ code: 3, err: expect.stringContaining('Cannot read the schema file') });
  });
});
