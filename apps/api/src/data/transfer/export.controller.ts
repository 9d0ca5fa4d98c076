import { Controller, Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { OptionalAuthentication, OptionalPrincipal, type Principal } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CollectionParam } from '../collections/collection-param';
import type { CollectionSchema } from '../collections/collection-schema';
import { ExportQuery } from './dto/transfer.dto';
import { ExportService } from './export.service';
import { MEDIA_TYPES, negotiateFormat } from './media-types';

const FILE = { schema: { type: 'string' } };

@ApiTags('records')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/export')
export class ExportController {
  constructor(private readonly exports: ExportService) {}

  @Get()
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'Download every record the caller may list (optionally filtered) as NDJSON or CSV, in id order, streamed',
    description:
      'Records look as in listings (hidden fields left out, encrypted ones readable). CSV: a header row (id, owner, version, ' +
      'created, updated, then the fields in schema order); json and multi-valued fields hold JSON text.',
  })
  @ApiProduces(MEDIA_TYPES.ndjson, MEDIA_TYPES.csv)
  @ApiOkResponse({
    description: 'The file, as an attachment named after the collection.',
    content: { [MEDIA_TYPES.ndjson]: FILE, [MEDIA_TYPES.csv]: FILE },
    headers: { 'Content-Disposition': { description: 'attachment; filename="<collection>.<format>"', schema: { type: 'string' } } },
  })
  @ApiProblems(400, 404)
  async export(
    @CollectionParam() collection: CollectionSchema,
    @Query() query: ExportQuery,
    @Headers('accept') accept: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const format = negotiateFormat(query.format, accept);
    const file = await this.exports.open(collection, principal, format, query.filter);
    reply
      .type(`${MEDIA_TYPES[format]}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="${collection.name}.${format}"`);
    if (request.method === 'HEAD') {
      file.destroy();
      void reply.send();
      return;
    }
    // Not awaited: the reply settles when the download ends, long after this handler is done.
    void reply.send(file);
  }
}
