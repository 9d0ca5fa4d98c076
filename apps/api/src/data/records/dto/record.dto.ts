import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { LimitQuery, PageQuery } from '@backlot/http';
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

const NAME_LIST = /^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$/;

/** How one record is shaped in a response. */
export class RecordShapeQuery {
  @ApiPropertyOptional({ description: 'Comma-separated fields to return (id is always returned).', example: 'title,status' })
  @IsOptional()
  @IsString()
  @MaxLength(2_000)
  @Matches(NAME_LIST, { message: 'fields must be comma-separated field names' })
  fields?: string;

  @ApiPropertyOptional({ description: 'Comma-separated relation fields whose records to embed under `expand`.', example: 'project' })
  @IsOptional()
  @IsString()
  @MaxLength(700)
  @Matches(NAME_LIST, { message: 'expand must be comma-separated relation field names' })
  expand?: string;
}

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
  @MaxLength(400)
  sort?: string;

  @ApiPropertyOptional({ description: 'Full-text search over the searchable fields (ranked unless `sort` is given).', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  q?: string;
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
