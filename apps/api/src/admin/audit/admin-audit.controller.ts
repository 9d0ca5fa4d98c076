import { Get, Headers, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { ApiProblems, DEFAULT_LIMIT, toDate } from '@backlot/http';
import { type AuditFilter, AuditService } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { AUDIT_MEDIA_TYPES, auditExportFormat, auditExportStream } from './audit-export';
import { AuditEventDto, AuditExportQuery, type AuditFilterQuery, AuditListQuery, AuditPageDto } from './dto/audit.dto';

const FILE = { schema: { type: 'string' } };

@AdminController('audit')
export class AdminAuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @AdminAction('audit.list')
  @ApiOperation({
    summary: 'Query the audit log, newest first',
    description:
      'Admins only; this call is itself audited as `admin.audit.list`, with the query. Filters: `actorId`, `action` (exact, or a prefix ' +
      'ending in `*` such as `auth.*`), `targetType`, `targetId`, `outcome`, and `from`/`to` (inclusive; 400 when `from` is later than ' +
      '`to`). Cursor pages; `count=true` adds `total`.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(400)
  async list(@Query() query: AuditListQuery): Promise<AuditPageDto> {
    const page = await this.audit.query(filterOf(query), { cursor: query.cursor, limit: query.limit ?? DEFAULT_LIMIT, count: query.count });
    return { ...page, items: page.items.map((event) => AuditEventDto.from(event)) };
  }

  @Get('export')
  @AdminAction('audit.export')
  @ApiOperation({
    summary: 'Download the matching audit events (newest first) as NDJSON or CSV, streamed',
    description: 'Same filters as the list. CSV has a header row; `details` holds JSON text.',
  })
  @ApiProduces(AUDIT_MEDIA_TYPES.ndjson, AUDIT_MEDIA_TYPES.csv)
  @ApiOkResponse({
    description: 'The file, as an attachment.',
    content: { [AUDIT_MEDIA_TYPES.ndjson]: FILE, [AUDIT_MEDIA_TYPES.csv]: FILE },
    headers: { 'Content-Disposition': { description: 'attachment; filename="audit-<time>.<format>"', schema: { type: 'string' } } },
  })
  @ApiProblems(400)
  async export(
    @Query() query: AuditExportQuery,
    @Headers('accept') accept: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const format = auditExportFormat(query.format, accept);
    const batches = await this.audit.export(filterOf(query));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply
      .type(`${AUDIT_MEDIA_TYPES[format]}; charset=utf-8`)
      .header('content-disposition', `attachment; filename="audit-${stamp}.${format}"`);
    if (request.method === 'HEAD') {
      void reply.send();
      return;
    }
    // Not awaited: the reply settles when the download ends, long after this handler is done.
    void reply.send(auditExportStream(batches, format));
  }
}

function filterOf(query: AuditFilterQuery): AuditFilter {
  return {
    actorId: query.actorId,
    action: query.action,
    targetType: query.targetType,
    targetId: query.targetId,
    outcome: query.outcome,
    from: toDate(query.from),
    to: toDate(query.to),
  };
}
