import { acceptQuality, csvLine } from '@backlot/http';
import type { AuditEventRecord } from '@backlot/security';
import { Readable } from 'node:stream';
import { AuditEventDto, type AuditExportFormat } from './dto/audit.dto';

export const AUDIT_MEDIA_TYPES: Record<AuditExportFormat, string> = { ndjson: 'application/x-ndjson', csv: 'text/csv' };
const COLUMNS = [
  'id',
  'at',
  'actorType',
  'actorId',
  'action',
  'targetType',
  'targetId',
  'outcome',
  'ip',
  'userAgent',
  'requestId',
  'details',
] as const satisfies readonly (keyof AuditEventDto)[];

/** `format` when given, else whichever of the two the Accept header prefers (NDJSON on a tie or without one). */
export function auditExportFormat(format: AuditExportFormat | undefined, accept: string | undefined): AuditExportFormat {
  if (format) return format;
  return acceptQuality(accept, AUDIT_MEDIA_TYPES.csv) > acceptQuality(accept, AUDIT_MEDIA_TYPES.ndjson) ? 'csv' : 'ndjson';
}

/**
 * The export as a byte stream: one piece per batch, and the next batch is read only when the
 * client has taken the previous piece, so memory stays flat however long the log is.
 * CSV has a header row; `details` holds JSON text; cells a spreadsheet would read as a
 * formula are defused by csvLine (callers choose their user agent, and it lands in the log).
 */
export function auditExportStream(batches: AsyncIterable<AuditEventRecord[]>, format: AuditExportFormat): Readable {
  return Readable.from(pieces(batches, format), { objectMode: false });
}

async function* pieces(batches: AsyncIterable<AuditEventRecord[]>, format: AuditExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield csvLine([...COLUMNS]);
  for await (const batch of batches) {
    let piece = '';
    for (const event of batch) {
      const row = AuditEventDto.from(event);
      piece += format === 'csv' ? csvLine(COLUMNS.map((column) => row[column])) : `${JSON.stringify(row)}\n`;
    }
    yield piece;
  }
}
