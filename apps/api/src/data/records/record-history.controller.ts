import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, ValidationFailed } from '@backlot/http';
import { CurrentRequest, OptionalAuthentication, OptionalPrincipal, type Principal, type RequestMeta } from '@backlot/security';
import type { FastifyReply } from 'fastify';
import {
  BatchDto,
  BatchResponseDto,
  CollectionRecordsParam,
  HistoryPageDto,
  HistoryQuery,
  ListRecordsQuery,
  RecordDto,
  RecordPageDto,
  RecordParam,
  RevisionParam,
} from './dto/record.dto';
import { IdempotencyKeys } from './idempotency';
import { type BatchOperation, RecordBatchService } from './record-batch.service';
import { RecordHistoryService } from './record-history.service';
import { etagOf, expectedVersion, viewOptions } from './record-http';
import type { RecordView } from './record-view';
import { RecordsService } from './records.service';

/** History and restore, the trash, and batches: the record routes beyond plain CRUD. */
@ApiTags('records')
@Controller('collections/:name')
export class RecordHistoryController {
  constructor(
    private readonly records: RecordsService,
    private readonly history: RecordHistoryService,
    private readonly batches: RecordBatchService,
    private readonly idempotency: IdempotencyKeys,
  ) {}

  @Get('records/:id/history')
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({ summary: 'A record’s revisions, newest first (who, when, what), under the view rule' })
  @ApiOkResponse({ type: HistoryPageDto })
  @ApiProblems(400, 404)
  async revisions(
    @Param() { name, id }: RecordParam,
    @Query() query: HistoryQuery,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<HistoryPageDto> {
    const collection = await this.records.collection(name);
    return this.history.history(collection, principal, id, { before: query.before, limit: query.limit ?? 20 });
  }

  @Post('records/:id/history/:version/restore')
  @HttpCode(200)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Write a revision’s data back as a new version, under the update rule' })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: RecordDto })
  @ApiProblems(400, 403, 404, 409, 412, 422)
  async restoreRevision(
    @Param() { name, id, version }: RevisionParam,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    const collection = await this.records.collection(name);
    const record = await this.history.restoreRevision(collection, principal, { id, expectedVersion: expectedVersion(ifMatch) }, version);
    reply.header('etag', etagOf(record.version));
    return record;
  }

  @Get('trash')
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({ summary: 'Trashed records the caller may view (same query parameters as the record list)' })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiProblems(400, 404)
  async trash(
    @Param() { name }: CollectionRecordsParam,
    @Query() query: ListRecordsQuery,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<RecordPageDto> {
    const collection = await this.records.collection(name);
    return this.history.trash(
      collection,
      principal,
      { ...query, limit: query.limit ?? 20 },
      viewOptions(collection, query, principal?.role === 'admin'),
    );
  }

  @Post('trash/:id/restore')
  @HttpCode(200)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Take a record out of the trash, under the delete rule' })
  @ApiOkResponse({ type: RecordDto })
  @ApiProblems(400, 403, 404, 409)
  async untrash(@Param() { name, id }: RecordParam, @OptionalPrincipal() principal: Principal | null): Promise<RecordView> {
    return this.history.untrash(await this.records.collection(name), principal, id);
  }

  @Delete('trash/:id')
  @HttpCode(204)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Delete a trashed record for good, with its history, under the delete rule' })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404)
  async purge(@Param() { name, id }: RecordParam, @OptionalPrincipal() principal: Principal | null): Promise<void> {
    await this.history.purge(await this.records.collection(name), principal, id);
  }

  @Post('batch')
  @HttpCode(200)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({ summary: 'Up to 1,000 creates, updates, replaces and deletes in one all-or-nothing transaction' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: BatchResponseDto })
  @ApiProblems(400, 403, 404, 409, 412, 413, 422)
  async batch(
    @Param() { name }: CollectionRecordsParam,
    @Body() body: BatchDto,
    @Headers('idempotency-key') key: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @CurrentRequest() request: RequestMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchResponseDto> {
    const collection = await this.records.collection(name);
    const operations = checkedOperations(body);
    const result = await this.idempotency.run(
      key,
      { userId: principal?.userId ?? null, ip: request.ip, method: 'POST', path: `/collections/${name}/batch` },
      body,
      async () => ({ status: 200, body: { results: await this.batches.run(collection, principal, operations) } }),
    );
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return result.body;
  }
}

function checkedOperations(body: BatchDto): BatchOperation[] {
  const errors = body.operations.flatMap((operation, index) => {
    const problems = [];
    if (operation.action !== 'create' && !operation.id)
      problems.push({ path: `operations.${index}.id`, code: 'required', message: `${operation.action} needs the record id` });
    if (operation.action !== 'delete' && operation.data === undefined)
      problems.push({ path: `operations.${index}.data`, code: 'required', message: `${operation.action} needs data` });
    return problems;
  });
  if (errors.length > 0) throw new ValidationFailed(errors);
  return body.operations as BatchOperation[];
}
