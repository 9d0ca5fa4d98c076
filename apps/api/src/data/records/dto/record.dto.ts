import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { LimitQuery, MAX_CURSOR_LENGTH, MAX_LIMIT, PageQuery } from '@backlot/http';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { FILTER_LIMITS } from '../../query/filter-parser';
import { MAX_BATCH } from '../record-batch.service';
import { NAME_LIST, SHAPE_LIMITS } from '../record-shape';

/** How one record is shaped in a response. */
export class RecordShapeQuery {
  @ApiPropertyOptional({ description: 'Comma-separated fields to return (id is always returned).', example: 'title,status' })
  @IsOptional()
  @IsString()
  @MaxLength(SHAPE_LIMITS.fields)
  @Matches(NAME_LIST, { message: 'fields must be comma-separated field names' })
  fields?: string;

  @ApiPropertyOptional({ description: 'Comma-separated relation fields whose records to embed under `expand`.', example: 'project' })
  @IsOptional()
  @IsString()
  @MaxLength(SHAPE_LIMITS.expand)
  @Matches(NAME_LIST, { message: 'expand must be comma-separated relation field names' })
  expand?: string;
}

const CURSOR = /^[A-Za-z0-9_-]+$/;
const LIMIT = /^[1-9][0-9]{0,2}$/;

/** The most characters of each text parameter of a list: the decorators below and acceptQuickly say the same. */
const LIST_TEXT_LIMITS = { filter: FILTER_LIMITS.maxLength, sort: 400, q: 500 };

export class ListRecordsQuery extends IntersectionType(PageQuery, RecordShapeQuery) {
  @ApiPropertyOptional({ description: "Filter expression, e.g. `status = 'open' && amount > 100`.", maxLength: FILTER_LIMITS.maxLength })
  @IsOptional()
  @IsString()
  @MaxLength(FILTER_LIMITS.maxLength)
  filter?: string;

  @ApiPropertyOptional({
    description: 'Comma-separated sort keys; `-` for descending. Default: id (creation order).',
    example: '-created,title',
  })
  @IsOptional()
  @IsString()
  @MaxLength(LIST_TEXT_LIMITS.sort)
  sort?: string;

  @ApiPropertyOptional({
    description: 'Full-text search over the searchable fields (ranked unless `sort` is given).',
    maxLength: LIST_TEXT_LIMITS.q,
  })
  @IsOptional()
  @IsString()
  @MaxLength(LIST_TEXT_LIMITS.q)
  q?: string;

  /**
   * The common valid list query, checked as the decorators would (see QuicklyChecked): every
   * value a single string within the limits above, no other parameter. Anything else, errors
   * included, is left to full validation; the parity test holds the two together.
   */
  static acceptQuickly(value: unknown): ListRecordsQuery | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const query = new ListRecordsQuery();
    for (const [name, raw] of Object.entries(value)) {
      if (typeof raw !== 'string') return undefined;
      if (name === 'limit') {
        if (!LIMIT.test(raw) || Number(raw) > MAX_LIMIT) return undefined;
        query.limit = Number(raw);
      } else if (name === 'count') {
        if (raw !== 'true' && raw !== 'false') return undefined;
        query.count = raw === 'true';
      } else if (name === 'cursor') {
        if (raw.length > MAX_CURSOR_LENGTH || !CURSOR.test(raw)) return undefined;
        query.cursor = raw;
      } else if (name === 'fields' || name === 'expand') {
        if (raw.length > SHAPE_LIMITS[name] || !NAME_LIST.test(raw)) return undefined;
        query[name] = raw;
      } else if (name === 'filter' || name === 'sort' || name === 'q') {
        if (raw.length > LIST_TEXT_LIMITS[name]) return undefined;
        query[name] = raw;
      } else return undefined;
    }
    return query;
  }
}

export class HistoryQuery extends LimitQuery {
  @ApiPropertyOptional({ description: 'Revisions older than this version (the `nextBefore` of the previous page).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  before?: number;
}

/** A record: system fields, then the collection's own fields (typed per collection in the document). */
export class RecordDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) owner!: string | null;
  @ApiProperty({ description: 'Bumped by every change; the ETag.' }) version!: number;
  @ApiProperty({ format: 'date-time' }) created!: string;
  @ApiProperty({ format: 'date-time' }) updated!: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When it was moved to the trash.' }) deleted?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Expanded relations.' }) expand?: Record<string, unknown>;
  [field: string]: unknown;
}

export class RecordPageDto {
  @ApiProperty({ type: [RecordDto] }) items!: RecordDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Present when count=true.' }) total?: number;
}

export class RevisionDto {
  @ApiProperty({ minimum: 1 }) version!: number;
  @ApiProperty({ enum: ['create', 'update', 'delete', 'undelete', 'restore'] }) action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) data!: Record<string, unknown>;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actor!: string | null;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

export class HistoryPageDto {
  @ApiProperty({ type: [RevisionDto] }) items!: RevisionDto[];
  @ApiProperty({ type: Number, nullable: true }) nextBefore!: number | null;
}

export class BatchOperationDto {
  @ApiProperty({ enum: ['create', 'update', 'replace', 'delete'] })
  @IsIn(['create', 'update', 'replace', 'delete'])
  action!: 'create' | 'update' | 'replace' | 'delete';

  @ApiPropertyOptional({ format: 'uuid', description: 'The record (update, replace, delete).' })
  @IsOptional()
  @IsUUID('all')
  id?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'The record data (create, update, replace).' })
  @Allow()
  data?: unknown;

  @ApiPropertyOptional({ description: 'The version the record must be at (like If-Match).' })
  @IsOptional()
  @IsInt()
  @Min(1)
  ifMatch?: number;
}

export class BatchDto {
  @ApiProperty({
    type: [BatchOperationDto],
    minItems: 1,
    maxItems: MAX_BATCH,
    description: `At most BATCH_MAX_OPERATIONS operations: ${MAX_BATCH} by default, 200 on the embedded database (one query at a time there).`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @ValidateNested({ each: true })
  @Type(() => BatchOperationDto)
  operations!: BatchOperationDto[];
}

export class BatchResultDto {
  @ApiProperty({ enum: ['create', 'update', 'replace', 'delete'] }) action!: string;
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiPropertyOptional({ type: RecordDto }) record?: RecordDto;
}

export class BatchResponseDto {
  @ApiProperty({ type: [BatchResultDto] }) results!: BatchResultDto[];
}
