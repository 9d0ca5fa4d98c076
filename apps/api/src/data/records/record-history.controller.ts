import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblems, JsonBodyDepth, RECORD_JSON_MAX_DEPTH, ValidationFailed } from '@backlot/http';
import { CurrentRequest, OptionalAuthentication, OptionalPrincipal, type Principal, type RequestMeta } from '@backlot/security';
import type { FastifyReply } from 'fastify';
import type { CollectionSchema } from '../collections/collection-schema';
import { BatchDto, BatchResponseDto, HistoryPageDto, HistoryQuery, ListRecordsQuery, RecordDto, RecordPageDto } from './dto/record.dto';
import { type BatchOperation, RecordBatchService } from './record-batch.service';
import { RecordHistoryService } from './record-history.service';
import { etagOf, expectedVersion } from './record-http';
import { CollectionParam } from '../collections/collection-param';
import { RecordId, RevisionVersion } from './record-params';
import type { RecordView } from './record-view';

const RECORD_ID = { name: 'id', format: 'uuid' };

/** History and restore, the trash, and batches: the record routes beyond plain CRUD. */
@ApiTags('records')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name')
export class RecordHistoryController {
  constructor(
    private readonly history: RecordHistoryService,
    private readonly batches: RecordBatchService,
  ) {}

  @Get('records/:id/history')
  @ApiParam(RECORD_ID)
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'A record’s revisions, newest first (who, when, what), under the view rule',
    description:
      'Whoever may view the record, live or in the trash, may read its history; anyone else gets a 404. Revision data never includes ' +
      'hidden fields. For the next page, pass the previous page’s `nextBefore` as `before`.',
  })
  @ApiOkResponse({ type: HistoryPageDto })
  @ApiProblems(400, 404)
  revisions(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @Query() query: HistoryQuery,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<HistoryPageDto> {
    return this.history.history(collection, principal, id, { before: query.before, limit: query.limit ?? 20 });
  }

  @Post('records/:id/history/:version/restore')
  @ApiParam(RECORD_ID)
  @ApiParam({ name: 'version', type: Number, schema: { type: 'integer', minimum: 1 } })
  @HttpCode(200)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Write a revision’s data back as a new version, under the update rule',
    description:
      'The record must be live and visible to the caller, and the version must exist (404 otherwise). Fields removed from the schema ' +
      'since are dropped and files the record no longer holds are left out; data the current schema refuses is a 422. An update rule ' +
      'that refuses is a 403, If-Match at another version a 412; the answer carries the new ETag and a `restore` revision is stored.',
  })
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: RecordDto })
  @ApiProblems(400, 403, 404, 409, 412, 422)
  async restoreRevision(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @RevisionVersion() version: number,
    @Headers('if-match') ifMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RecordView> {
    const record = await this.history.restoreRevision(collection, principal, { id, expectedVersion: expectedVersion(ifMatch) }, version);
    reply.header('etag', etagOf(record.version));
    return record;
  }

  @Get('trash')
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'Trashed records the caller may view (same query parameters as the record list)',
    description:
      'Filtered by the `view` rule, not the `list` rule (a `null` view rule answers 403 to non-admins). A periodic sweep purges trashed ' +
      'records `trashRetentionDays` (30 by default) after their deletion.',
  })
  @ApiOkResponse({ type: RecordPageDto })
  @ApiProblems(400, 404)
  trash(
    @CollectionParam() collection: CollectionSchema,
    @Query() query: ListRecordsQuery,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<RecordPageDto> {
    return this.history.trash(collection, principal, { ...query, limit: query.limit ?? 20 });
  }

  @Post('trash/:id/restore')
  @ApiParam(RECORD_ID)
  @HttpCode(200)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Take a record out of the trash, under the delete rule',
    description:
      'A trashed record the delete rule does not match for the caller is a 404. Its data must fit the current schema (422 otherwise), ' +
      'and a unique value taken meanwhile is a 409. A revision is stored and realtime subscribers and webhooks get a `created` event.',
  })
  @ApiOkResponse({ type: RecordDto })
  @ApiProblems(400, 403, 404, 409, 422)
  untrash(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<RecordView> {
    return this.history.untrash(collection, principal, id);
  }

  @Delete('trash/:id')
  @ApiParam(RECORD_ID)
  @HttpCode(204)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Delete a trashed record for good, with its history, under the delete rule',
    description:
      'Only records in the trash: a live one, or one the delete rule does not match for the caller, is a 404. Its files are deleted by ' +
      'the next files sweep; no realtime or webhook event is sent (the move to the trash was announced already).',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 403, 404)
  async purge(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @OptionalPrincipal() principal: Principal | null,
  ): Promise<void> {
    await this.history.purge(collection, principal, id);
  }

  @Post('batch')
  @HttpCode(200)
  // Each operation's data sits three levels down: { operations: [ { data: … } ] }.
  @JsonBodyDepth(RECORD_JSON_MAX_DEPTH + 3)
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Up to 1,000 creates, updates, replaces and deletes in one all-or-nothing transaction',
    description: 'The limit is BATCH_MAX_OPERATIONS: 1,000 by default, 200 on the embedded database; a longer batch is refused with 400.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiOkResponse({ type: BatchResponseDto })
  @ApiProblems(400, 403, 404, 409, 412, 413, 422)
  async batch(
    @CollectionParam() collection: CollectionSchema,
    @Body() body: BatchDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @CurrentRequest() request: RequestMeta,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchResponseDto> {
    const { results, replayed } = await this.batches.run(collection, principal, checkedOperations(body), { idempotencyKey, request });
    if (replayed) reply.header('idempotent-replayed', 'true');
    return { results };
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
