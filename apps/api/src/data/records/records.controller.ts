import { applyDecorators, Controller, Delete, Get, Headers, HttpCode, Patch, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotModifiedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems, JsonBodyDepth, RECORD_JSON_MAX_DEPTH } from '@backlot/http';
import { CurrentRequest, OptionalAuthentication, OptionalPrincipal, type Principal, type RequestMeta } from '@backlot/security';
import type { FastifyReply } from 'fastify';
import type { CollectionSchema } from '../collections/collection-schema';
import { ListRecordsQuery, RecordDto, RecordPageDto } from './dto/record.dto';
import { etagOf, expectedVersion, notModified } from './record-http';
import { CollectionParam } from '../collections/collection-param';
import { RecordBody } from '../files/record-body.decorator';
import { RecordId } from './record-params';
import { shapeQuery } from './record-shape';
import type { RecordView } from './record-view';
import { RecordsService } from './records.service';

const IF_MATCH = { name: 'If-Match', required: false, description: 'Refuse with 412 unless the record is at this ETag (e.g. "3").' };
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retries with the same key replay the first response; the same key with another body is a 422.',
};
const RECORD_BODY = { schema: { type: 'object', additionalProperties: true }, description: 'The record’s fields (schema per collection).' };

/** What every write of one record's fields declares: its id, who may call it, its body and answers. */
function RecordWrite(summary: string, description: string): MethodDecorator {
  return applyDecorators(
    ApiParam({ name: 'id', format: 'uuid' }),
    OptionalAuthentication({ apiKeyScope: 'records:write' }),
    ApiOperation({ summary, description }),
    ApiBody(RECORD_BODY),
    JsonBodyDepth(RECORD_JSON_MAX_DEPTH),
    ApiHeader(IF_MATCH),
    ApiOkResponse({ type: RecordDto }),
    ApiProblems(400, 403, 404, 408, 409, 412, 413, 422),
  );
}

@ApiTags('records')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/records')
export class RecordsController {
  constructor(private readonly records: RecordsService) {}

  @Get()
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'List records (filter, sort, cursor, fields, expand, full-text search), under the list rule',
    description:
      'Open to anonymous callers and to API keys with `records:read`. The `list` rule is part of the query, so records it does not match ' +
      'are left out (a `null` rule answers 403 to non-admins); an invalid `filter`, `sort` or `cursor` is a 400. A ranked search (`q` ' +
      'without `sort`) has no `nextCursor`.',
  })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiProblems(400, 404)
  list(
    @CollectionParam() collection: CollectionSchema,
    @Query() query: ListRecordsQuery,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<RecordPageDto> {
    return this.records.list(collection, principal, { ...query, limit: query.limit ?? 20 });
  }

  @Post()
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Create a record, under the create rule; the caller owns it',
    description:
      'Takes JSON, or `multipart/form-data` with parts for `file` fields. The answer carries `ETag` and `Location` (and ' +
      '`Idempotent-Replayed: true` on a replay); a revision is stored and realtime subscribers and webhooks get a `created` event. A ' +
      'body the schema refuses is a 422, one over `maxRecordBytes` a 413, a taken unique value a 409, and a record the create rule ' +
      'refuses a 403.',
  })
  @ApiBody(RECORD_BODY)
  @JsonBodyDepth(RECORD_JSON_MAX_DEPTH)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiCreatedResponse({ type: RecordDto })
  @ApiProblems(400, 404, 408, 409, 413, 422)
  async create(
    @CollectionParam() collection: CollectionSchema,
    @RecordBody() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @CurrentRequest() request: RequestMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    const { record, replayed } = await this.records.create(collection, principal, body, { idempotencyKey, request });
    reply
      .status(201)
      .header('etag', etagOf(record.version))
      .header('location', `/api/v1/collections/${collection.name}/records/${record.id}`);
    if (replayed) reply.header('idempotent-replayed', 'true');
    return record;
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'One record, under the view rule; ETag, and 304 for a matching If-None-Match',
    description:
      'Open to anonymous callers and to API keys with `records:read`. A record the `view` rule does not match is a 404, as if it did not ' +
      'exist (a `null` rule answers 403 to non-admins); hidden fields are never returned. With `expand`, no ETag is sent and ' +
      'If-None-Match is not checked.',
  })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiOkResponse({ type: RecordDto })
  @ApiNotModifiedResponse()
  @ApiProblems(400, 404)
  @ApiQuery({
    name: 'fields',
    type: String,
    required: false,
    example: 'title,status',
    description: 'Comma-separated fields to return (id is always returned).',
  })
  @ApiQuery({
    name: 'expand',
    type: String,
    required: false,
    example: 'project',
    description: 'Comma-separated relation fields whose records to embed under `expand`.',
  })
  async get(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    // Read as plain values (no DTO pass on the hottest route); shapeQuery checks them as RecordShapeQuery would.
    @Query('fields') fields: unknown,
    @Query('expand') expand: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView | undefined> {
    const shape = shapeQuery(fields, expand);
    const record = await this.records.get(collection, principal, id, shape);
    // Expanded records change without this record's version changing: no validator then.
    if (shape.expand) return record;
    reply.header('etag', etagOf(record.version));
    if (notModified(ifNoneMatch, record.version)) {
      reply.status(304);
      return undefined;
    }
    return record;
  }

  @Put(':id')
  @RecordWrite(
    'Replace a record’s fields (hidden fields not sent are kept), under the update rule',
    'Takes JSON, or `multipart/form-data` to upload files; a field not sent gets its `default` or is cleared, file fields included. A ' +
      'record the caller may not view is a 404, one the update rule refuses a 403, and with If-Match one at another version a 412; a ' +
      'taken unique value, or a change by someone else while files upload, is a 409. The answer carries the new ETag; a revision is ' +
      'stored and realtime subscribers and webhooks get an `updated` event.',
  )
  replace(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @RecordBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    return this.change(collection, { id, ifMatch }, 'replace', body, principal, reply);
  }

  @Patch(':id')
  @RecordWrite(
    'Change some fields of a record (null clears one), under the update rule',
    'Takes JSON, or `multipart/form-data` to upload files; fields not sent are kept. A record the caller may not view is a 404, one the ' +
      'update rule refuses a 403, and with If-Match one at another version a 412; a taken unique value, or a change by someone else ' +
      'while files upload, is a 409. The answer carries the new ETag; a revision is stored and realtime subscribers and webhooks get an ' +
      '`updated` event.',
  )
  patch(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @RecordBody() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    return this.change(collection, { id, ifMatch }, 'patch', body, principal, reply);
  }

  @Delete(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @HttpCode(204)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Delete a record (to the trash unless the collection keeps none), under the delete rule',
    description:
      'Relations pointing at it follow their `onDelete`: a `restrict` reference, or a cascade deeper than 5 levels, is a 409 and nothing ' +
      'is deleted. A record the caller may not view is a 404, one the delete rule refuses a 403, and with If-Match one at another ' +
      'version a 412. Realtime subscribers and webhooks get a `deleted` event; without a trash, the record’s history is deleted with it.',
  })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404, 409, 412)
  async remove(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<void> {
    await this.records.remove(collection, principal, { id, expectedVersion: expectedVersion(ifMatch) });
  }

  private async change(
    collection: CollectionSchema,
    target: { id: string; ifMatch: string | undefined },
    kind: 'patch' | 'replace',
    body: unknown,
    principal: Principal | null,
    reply: FastifyReply,
  ): Promise<RecordView> {
    const record = await this.records.change(
      collection,
      principal,
      { id: target.id, expectedVersion: expectedVersion(target.ifMatch) },
      kind,
      body,
    );
    reply.header('etag', etagOf(record.version));
    return record;
  }
}
