import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { QueryBoolean } from '../validation/query-values';

/** Page size of a list when the caller names none. */
export const DEFAULT_LIMIT = 20;

/** Most items one page may hold, whatever the list. */
export const MAX_LIMIT = 200;
/**
 * Longest cursor any list hands out: record lists sorted by text carry the sort values of
 * the page's last record in theirs (base64url of JSON), so they are the longest.
 */
export const MAX_CURSOR_LENGTH = 4_096;

/** `limit` of a paginated list. */
export class LimitQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;
}

/** `limit` and `cursor` of a keyset-paginated list (the cursor is a previous page's `nextCursor`). */
export class CursorQuery extends LimitQuery {
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', maxLength: MAX_CURSOR_LENGTH })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
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
