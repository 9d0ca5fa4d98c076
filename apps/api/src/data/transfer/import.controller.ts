import { Controller, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { ApiProblems, PayloadTooLarge } from '@backlot/http';
import { OptionalAuthentication, OptionalPrincipal, type Principal } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { CollectionNamePipe } from '../collections/collection-param';
import { ImportQuery, ImportResultDto } from './dto/transfer.dto';
import { ImportService } from './import.service';
import { MEDIA_TYPES, uploadFormat } from './media-types';

@ApiTags('records')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/import')
export class ImportController {
  constructor(
    private readonly imports: ImportService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @OptionalAuthentication({ apiKeyScope: 'records:write' })
  @ApiOperation({
    summary: 'Create records from an NDJSON or CSV upload, under the create rule; the caller owns them',
    description:
      'NDJSON: one JSON object per line. CSV: a header row of field names, then one record per row (numbers, true/false, ' +
      'JSON text for json and multi-valued fields; an empty cell leaves the field out). System fields such as id and owner ' +
      'are ignored, so an export can be imported as it is. Errors name the line the record starts on. mode=atomic is one ' +
      'transaction of at most IMPORT_ATOMIC_MAX_RECORDS records (2,000 by default on the embedded database, no limit on ' +
      'PostgreSQL; more → 413, nothing imported); mode=skip commits as it goes and has no such limit.',
  })
  @ApiConsumes(MEDIA_TYPES.ndjson, MEDIA_TYPES.csv)
  @ApiBody({ schema: { type: 'string' }, description: 'The records, streamed (at most IMPORT_MAX_BYTES).' })
  @ApiCreatedResponse({ type: ImportResultDto, description: 'mode=atomic: every line was imported.' })
  @ApiOkResponse({ type: ImportResultDto, description: 'mode=skip: the valid lines were imported; the others are listed.' })
  @ApiProblems(400, 404, 413, 415, 422)
  async import(
    // The name, not the collection: an unknown one must still close the connection below, mid-upload.
    @Param('name', CollectionNamePipe) name: string,
    @Query() query: ImportQuery,
    @OptionalPrincipal() principal: Principal | null,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ImportResultDto> {
    const format = uploadFormat(request.headers['content-type']);
    const max = this.config.data.importMaxBytes;
    if (Number(request.headers['content-length']) > max) throw new PayloadTooLarge(`The upload exceeds ${max} bytes.`);
    const mode = query.mode ?? 'atomic';
    const result = await this.imports.import(name, principal, { format, mode, ids: query.ids ?? 'new', body: request.body as Readable });
    reply.status(mode === 'atomic' ? 201 : 200);
    return result;
  }
}
