import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional } from 'class-validator';
import { IsTimestamp } from './is-timestamp';

/** `true`/`false` in a query string; anything else stays a string and fails @IsBoolean. */
export const QueryBoolean = () => Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

/** An optional RFC 3339 time in a query string (kept as text; toDate turns it into a Date). */
export function QueryTime(description: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', description, example: '2026-11-01T00:00:00Z' }),
    IsOptional(),
    IsTimestamp(),
  );
}

export function toDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
