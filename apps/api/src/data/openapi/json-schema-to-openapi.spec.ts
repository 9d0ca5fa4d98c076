import { toOpenApiSchema } from './json-schema-to-openapi';

describe('toOpenApiSchema', () => {
  it('turns a null member of a type list into nullable', () => {
    expect(toOpenApiSchema({ type: ['number', 'null'], minimum: 0 })).toEqual({ type: 'number', nullable: true, minimum: 0 });
  });

  it('turns a null enum member into a nullable string enum', () => {
    expect(toOpenApiSchema({ enum: ['open', 'done', null] })).toEqual({ type: 'string', enum: ['open', 'done'], nullable: true });
  });

  it('converts nested properties and array items', () => {
    expect(toOpenApiSchema({ type: 'object', properties: { tags: { type: ['array', 'null'], items: { enum: ['a', null] } } } })).toEqual({
      type: 'object',
      properties: { tags: { type: 'array', nullable: true, items: { type: 'string', enum: ['a'], nullable: true } } },
    });
  });
});
