import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { QueryBoolean } from '../validation/query-values';

/** Page size of a list when the caller names none. */
export const DEFAULT_LIMIT = 20;

/** `limit` and `cursor` of a keyset-paginated list (the cursor is a `nextCursor` from timePage). */
export class CursorQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: DEFAULT_LIMIT })
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
