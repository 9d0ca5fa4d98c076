import { OWNER_ONLY_RULES } from '@backlot/testing/data';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject } from '@nestjs/swagger';
import { signedInUser, type UserSession } from '@backlot/testing/auth';
import { OpenApiContract } from '@backlot/testing/openapi-contract';
import { json, startTestApp, type TestApp } from '@backlot/testing/test-app';

describe('OpenAPI: each collection documented with its own paths and schemas', () => {
  let t: TestApp;
  let admin: UserSession;
  let user: UserSession;

  const documentNow = async () => json<OpenAPIObject>(await t.request('/docs-json'));

  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_MAX: '1000' } });
    admin = await signedInUser(t, { role: 'admin' });
    user = await signedInUser(t);
    const created = await admin.json('POST', '/collections', {
      name: 'field_notes',
      description: 'Notes from the field',
      fields: [
        { name: 'title', type: 'text', required: true, maxLength: 120 },
        { name: 'kind', type: 'select', values: ['bird', 'plant'] },
        { name: 'count', type: 'integer', min: 0 },
        { name: 'seen', type: 'datetime' },
        { name: 'note', type: 'text', hidden: true },
      ],
      rules: OWNER_ONLY_RULES,
    });
    expect(created.status).toBe(201);
  });
  afterAll(() => t.close());

  it('adds typed paths and schemas for the collection, and the document stays valid OpenAPI', async () => {
    const document = await documentNow();
    const result = await new Validator().validate(structuredClone(document) as never);
    expect(result.errors ?? []).toEqual([]);

    // Every record route, not only CRUD, has the collection's own copy. The admins' rule preview
    // and list explain are about the schema, as /collections/{name} itself is: they stay generic.
    const adminOnly = ['/api/v1/collections/{name}/rules/', '/api/v1/collections/{name}/explain'];
    const own = Object.keys(document.paths).filter((path) => path.startsWith('/api/v1/collections/field_notes/'));
    const generic = Object.keys(document.paths).filter(
      (path) => path.startsWith('/api/v1/collections/{name}/') && !adminOnly.some((prefix) => path.startsWith(prefix)),
    );
    expect(own.map((path) => path.replace('/field_notes/', '/{name}/')).sort()).toEqual(generic.sort());
    const schemas = document.components?.schemas as Record<string, { properties?: Record<string, object>; required?: string[] }>;
    expect(schemas.FieldNotesCreate.required).toEqual(['title']);
    expect(schemas.FieldNotesCreate.properties?.kind).toEqual({ type: 'string', enum: ['bird', 'plant'], nullable: true });
    expect(schemas.FieldNotesRecord.properties?.note).toBeUndefined();
    expect(schemas.FieldNotesCreate.properties?.note).toMatchObject({ writeOnly: true });
    const create = (document.paths['/api/v1/collections/field_notes/records'] as Record<string, { operationId: string }>).post;
    expect(create.operationId).toBe('field_notes_create');
  });

  it('describes the responses the collection routes send', async () => {
    const contract = new OpenApiContract(await documentNow());
    const created = await user.json('POST', '/collections/field_notes/records', {
      title: 'Heron',
      kind: 'bird',
      count: 2,
      seen: '2026-11-01T08:00:00Z',
    });
    expect(await contract.check('POST', '/api/v1/collections/field_notes/records', created)).toEqual([]);
    const { id } = await json<{ id: string }>(created);
    const calls: [string, string, Response][] = [
      ['GET', `/api/v1/collections/field_notes/records/${id}`, await user.request(`/collections/field_notes/records/${id}`)],
      ['GET', '/api/v1/collections/field_notes/records', await user.request('/collections/field_notes/records?count=true')],
      [
        'PATCH',
        `/api/v1/collections/field_notes/records/${id}`,
        await user.json('PATCH', `/collections/field_notes/records/${id}`, { count: 3 }),
      ],
      ['POST', '/api/v1/collections/field_notes/records', await user.json('POST', '/collections/field_notes/records', { title: 7 })],
      ['GET', '/api/v1/collections/field_notes/records', await user.request('/collections/field_notes/records?filter=nope%20%3D%201')],
      [
        'POST',
        `/api/v1/collections/field_notes/records/${id}/history/1/restore`,
        await user.json('POST', `/collections/field_notes/records/${id}/history/1/restore`),
      ],
      [
        'GET',
        `/api/v1/collections/field_notes/records/${id}/history`,
        await user.request(`/collections/field_notes/records/${id}/history`),
      ],
      [
        'POST',
        '/api/v1/collections/field_notes/batch',
        await user.json('POST', '/collections/field_notes/batch', {
          operations: [
            { action: 'create', data: { title: 'Egret', kind: 'bird' } },
            { action: 'update', id, data: { count: 4 } },
          ],
        }),
      ],
      [
        'DELETE',
        `/api/v1/collections/field_notes/records/${id}`,
        await user.request(`/collections/field_notes/records/${id}`, { method: 'DELETE' }),
      ],
      ['GET', '/api/v1/collections/field_notes/trash', await user.request('/collections/field_notes/trash')],
      [
        'POST',
        `/api/v1/collections/field_notes/trash/${id}/restore`,
        await user.json('POST', `/collections/field_notes/trash/${id}/restore`),
      ],
      [
        'GET',
        '/api/v1/collections/field_notes/aggregate',
        await user.request('/collections/field_notes/aggregate?groupBy=kind&metrics=count'),
      ],
    ];
    expect(calls.map(([, , response]) => response.status)).toEqual([200, 200, 200, 422, 400, 200, 200, 200, 204, 200, 200, 200]);
    for (const [method, path, response] of calls)
      expect({ path, status: response.status, problems: await contract.check(method, path, response) }).toEqual({
        path,
        status: response.status,
        problems: [],
      });
  });

  it('describes field defaults of every kind (false, 0, text, a list, a JSON object) as the values they are', async () => {
    const contract = new OpenApiContract(await documentNow());
    const fields = [
      { name: 'done', type: 'boolean', default: false },
      { name: 'size', type: 'integer', default: 0 },
      { name: 'label', type: 'text', default: 'untitled' },
      { name: 'tags', type: 'select', values: ['a', 'b'], multiple: true, default: ['a'] },
      { name: 'meta', type: 'json', default: { source: 'import', retries: 2 } },
    ];
    const created = await admin.json('POST', '/collections', { name: 'with_defaults', fields, rules: OWNER_ONLY_RULES });
    expect(created.status).toBe(201);
    expect(await contract.check('POST', '/api/v1/collections', created)).toEqual([]);
    const read = await admin.request('/collections/with_defaults');
    expect(await contract.check('GET', '/api/v1/collections/with_defaults', read)).toEqual([]);
    expect((await json<{ fields: { default?: unknown }[] }>(read)).fields.map((field) => field.default)).toEqual(
      fields.map((field) => field.default),
    );
  });

  it('follows schema changes: a new field appears, a dropped collection disappears', async () => {
    const changed = await admin.json('PATCH', '/collections/field_notes', {
      fields: [
        { name: 'title', type: 'text', required: true, maxLength: 120 },
        { name: 'kind', type: 'select', values: ['bird', 'plant'] },
        { name: 'count', type: 'integer', min: 0 },
        { name: 'seen', type: 'datetime' },
        { name: 'note', type: 'text', hidden: true },
        { name: 'place', type: 'text' },
      ],
    });
    expect(changed.status).toBe(200);
    const after = await documentNow();
    expect((after.components?.schemas?.FieldNotesRecord as { properties: object }).properties).toHaveProperty('place');

    expect((await admin.request('/collections/field_notes', { method: 'DELETE' })).status).toBe(204);
    const dropped = await documentNow();
    expect(dropped.paths['/api/v1/collections/field_notes/records']).toBeUndefined();
    expect(dropped.components?.schemas?.FieldNotesRecord).toBeUndefined();
  });
});
