import { applyDecorators } from '@nestjs/common';
import { IsISO8601, Matches } from 'class-validator';

/**
 * RFC 3339 (the profile of ISO 8601 that JavaScript's Date reads): a date, or a date and
 * time with seconds optional and a Z or ±hh:mm offset. ISO 8601 alone also admits week
 * dates and the basic format (`2026-W01`, `20261101`), which Date turns into Invalid Date.
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** A time a client sends as text: an RFC 3339 date-time (or date) that names a real day. */
export function IsTimestamp(property = '$property'): PropertyDecorator {
  const message = `${property} must be a date-time such as 2026-11-01T00:00:00Z`;
  return applyDecorators(Matches(RFC3339, { message }), IsISO8601({ strict: true }, { message }));
}
