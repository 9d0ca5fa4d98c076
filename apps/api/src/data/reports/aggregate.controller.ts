import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { ApiProblems, CSV_CONTENT_TYPE, csvLine, prefersCsv } from '@backlot/http';
import { OptionalAuthentication, OptionalPrincipal, type Principal } from '@backlot/security';
import type { FastifyReply } from 'fastify';
import { CollectionParam } from '../collections/collection-param';
import type { CollectionSchema } from '../collections/collection-schema';
import { AggregateService } from './aggregate.service';
import { AggregateRecordsQuery, AggregateResultDto, DEFAULT_GROUP_LIMIT } from './dto/aggregate.dto';

const CSV_EXAMPLE = 'status,created,count,sum(amount)\r\nopen,2026-11-01T00:00:00.000Z,3,12.5\r\n';

@ApiTags('reports')
@ApiParam({ name: 'name', description: 'The collection', example: 'tasks' })
@Controller('collections/:name/aggregate')
export class AggregateController {
  constructor(private readonly reports: AggregateService) {}

  @Get()
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'Group records and compute metrics (count, sum, avg, min, max), under the list rule',
    description:
      'Only records the caller may list are aggregated. JSON by default; with `Accept: text/csv`, a CSV table ' +
      '(header of key then metric names, one line per group). `X-Truncated: true` when more groups matched than `limit`.',
  })
  @ApiExtraModels(AggregateResultDto)
  @ApiOkResponse({
    description: 'The groups as JSON, or as a CSV table when the client asks for `text/csv`.',
    headers: { 'X-Truncated': { description: 'More groups matched than `limit`.', schema: { type: 'string', enum: ['true', 'false'] } } },
    content: {
      'application/json': { schema: { $ref: getSchemaPath(AggregateResultDto) } },
      'text/csv': { schema: { type: 'string' }, example: CSV_EXAMPLE },
    },
  })
  @ApiProblems(400, 403, 404)
  async records(
    @CollectionParam() collection: CollectionSchema,
    @Query() query: AggregateRecordsQuery,
    @Headers('accept') accept: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AggregateResultDto | string> {
    const report = await this.reports.aggregate(collection, principal, { ...query, limit: query.limit ?? DEFAULT_GROUP_LIMIT });
    // Append: CORS may already vary the response on Origin.
    const vary = reply.getHeader('vary');
    reply.header('vary', vary ? `${String(vary)}, Accept` : 'Accept').header('x-truncated', String(report.truncated));
    if (!prefersCsv(accept)) return { groups: report.groups, truncated: report.truncated };
    reply.header('content-type', CSV_CONTENT_TYPE);
    return report.table().map(csvLine).join('');
  }
}
