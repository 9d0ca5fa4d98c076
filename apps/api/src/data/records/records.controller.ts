import { Body, Controller, Delete, Get, Headers, HttpCode, Patch, Post, Put, Query, Res } from '@nestjs/common';
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
import { ApiProblems } from '@backlot/http';
import { CurrentRequest, OptionalAuthentication, OptionalPrincipal, type Principal, type RequestMeta } from '@backlot/security';
import type { FastifyReply } from 'fastify';
import { ListRecordsQuery, RecordDto, RecordPageDto } from './dto/record.dto';
import { CollectionName, RecordId } from './record-params';
import { IdempotencyKeys } from './idempotency';
import { etagOf, expectedVersion, notModified, shapeQuery, viewOptions } from './record-http';
import type { RecordView } from './record-view';
import { RecordsService } from './records.service';

const IF_MATCH = { name: 'If-Match', required: false, description: 'Refuse with 412 unless the record is at this ETag (e.g. "3").' };
const IDEMPOTENCY_KEY = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Retries with the same key replay the first response; the same key with another body is a 422.',
};
const RECORD_BODY = { schema: { type: 'object', additionalProperties: true }, description: 'The record’s fields (schema per collection).' };

@ApiTags('records')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/records')
export class RecordsController {
  constructor(
    private readonly records: RecordsService,
    private readonly idempotency: IdempotencyKeys,
  ) {}

  @Get()
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({ summary: 'List records (filter, sort, cursor, fields, expand, full-text search), under the list rule' })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiProblems(400, 404)
  async list(
    @CollectionName() name: string,
    @Query() query: ListRecordsQuery,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<RecordPageDto> {
    const collection = await this.records.collection(name);
    return this.records.list(
      collection,
      principal,
      { ...query, limit: query.limit ?? 20 },
      viewOptions(collection, query, principal?.role === 'admin'),
    );
  }

  @Post()
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Create a record, under the create rule; the caller owns it' })
  @ApiBody(RECORD_BODY)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiCreatedResponse({ type: RecordDto })
  @ApiProblems(400, 404, 409, 413, 422)
  async create(
    @CollectionName() name: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @CurrentRequest() request: RequestMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    const collection = await this.records.collection(name);
    const result = await this.idempotency.run(
      key,
      { userId: principal?.userId ?? null, ip: request.ip, method: 'POST', path: `/collections/${name}/records` },
      body,
      async () => ({ status: 201, body: await this.records.create(collection, principal, body) }),
    );
    reply
      .status(result.status)
      .header('etag', etagOf(result.body.version))
      .header('location', `/api/v1/collections/${name}/records/${result.body.id}`);
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.body;
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({ summary: 'One record, under the view rule; ETag, and 304 for a matching If-None-Match' })
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
    @CollectionName() name: string,
    @RecordId() id: string,
    // Read as plain values (no DTO pass on the hottest route); shapeQuery checks them as RecordShapeQuery would.
    @Query('fields') fields: unknown,
    @Query('expand') expand: unknown,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView | undefined> {
    const query = shapeQuery(fields, expand);
    const collection = await this.records.collection(name);
    const record = await this.records.get(collection, principal, id, viewOptions(collection, query, principal?.role === 'admin'));
    // Expanded records change without this record's version changing: no validator then.
    if (query.expand) return record;
    reply.header('etag', etagOf(record.version));
    if (notModified(ifNoneMatch, record.version)) {
      reply.status(304);
      return undefined;
    }
    return record;
  }

  @Put(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Replace a record’s fields (hidden fields not sent are kept), under the update rule' })
  @ApiBody(RECORD_BODY)
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: RecordDto })
  @ApiProblems(400, 403, 404, 409, 412, 413, 422)
  replace(
    @CollectionName() name: string,
    @RecordId() id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    return this.change(name, id, 'replace', body, ifMatch, principal, reply);
  }

  @Patch(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Change some fields of a record (null clears one), under the update rule' })
  @ApiBody(RECORD_BODY)
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: RecordDto })
  @ApiProblems(400, 403, 404, 409, 412, 413, 422)
  patch(
    @CollectionName() name: string,
    @RecordId() id: string,
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    return this.change(name, id, 'patch', body, ifMatch, principal, reply);
  }

  @Delete(':id')
  @ApiParam({ name: 'id', format: 'uuid' })
  @HttpCode(204)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Delete a record (to the trash unless the collection keeps none), under the delete rule' })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404, 409, 412)
  async remove(
    @CollectionName() name: string,
    @RecordId() id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<void> {
    const collection = await this.records.collection(name);
    await this.records.remove(collection, principal, { id, expectedVersion: expectedVersion(ifMatch) });
  }

  private async change(
    name: string,
    id: string,
    kind: 'patch' | 'replace',
    body: unknown,
    ifMatch: string | undefined,
    principal: Principal | null,
    reply: FastifyReply,
  ): Promise<RecordView> {
    const collection = await this.records.collection(name);
    const record = await this.records.change(collection, principal, { id, expectedVersion: expectedVersion(ifMatch) }, kind, body);
    reply.header('etag', etagOf(record.version));
    return record;
  }
}
