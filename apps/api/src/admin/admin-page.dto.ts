import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsTimestamp } from '@backlot/http';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** `true`/`false` in a query string; anything else stays a string and fails @IsBoolean. */
export const QueryBoolean = () => Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value));

/** An RFC 3339 time in a query string (kept as text here; the controller turns it into a Date). */
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

/** `limit` and `cursor` of a keyset-paginated admin list. */
export class CursorQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be the nextCursor of a previous page' })
  cursor?: string;
}

/** A list that can also count its matches. */
export class PageQuery extends CursorQuery {
  @ApiPropertyOptional({ description: 'Also return `total`, the number of matches (costs a count).' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  count?: boolean;
}

export const DEFAULT_LIMIT = 20;
