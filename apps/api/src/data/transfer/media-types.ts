import { UnsupportedMediaType } from '@backlot/http';
import type { TransferFormat } from './dto/transfer.dto';

export const MEDIA_TYPES: Record<TransferFormat, string> = { ndjson: 'application/x-ndjson', csv: 'text/csv' };
const FORMAT_OF = new Map(Object.entries(MEDIA_TYPES).map(([format, type]) => [type, format as TransferFormat]));

/** The export's format: `format` if given, else the client's most preferred of ours in Accept, else NDJSON. */
export function negotiateFormat(format: TransferFormat | undefined, accept: string | undefined): TransferFormat {
  if (format) return format;
  const preferred = (accept ?? '')
    .split(',')
    .map((item, order) => {
      const [type, ...parameters] = item.split(';').map((part) => part.trim().toLowerCase());
      const q = parameters.find((p) => p.startsWith('q='));
      return { format: FORMAT_OF.get(type), q: q ? Number(q.slice(2)) : 1, order };
    })
    .filter((item) => item.format && item.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return preferred[0]?.format ?? 'ndjson';
}

/**
 * An import body's format from its Content-Type. Anything else (JSON included, which
 * Fastify parses before the route runs) is a 415, as is a charset other than UTF-8.
 */
export function uploadFormat(contentType: string | undefined): TransferFormat {
  const [type, ...parameters] = (contentType ?? '').split(';').map((part) => part.trim().toLowerCase());
  const format = FORMAT_OF.get(type);
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replaceAll('"', '');
  if (!format || (charset !== undefined && !['utf-8', 'utf8', 'us-ascii'].includes(charset)))
    throw new UnsupportedMediaType(`Send the records as ${MEDIA_TYPES.ndjson} or ${MEDIA_TYPES.csv} (UTF-8).`);
  return format;
}
