import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FieldErrorDto } from '@backlot/http';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { FILTER_LIMITS } from '../../query/filter-parser';

export const TRANSFER_FORMATS = ['ndjson', 'csv'] as const;
export type TransferFormat = (typeof TRANSFER_FORMATS)[number];
export const IMPORT_MODES = ['atomic', 'skip'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];
export const IMPORT_IDS = ['new', 'keep'] as const;
export type ImportIds = (typeof IMPORT_IDS)[number];

export class ExportQuery {
  @ApiPropertyOptional({
    enum: TRANSFER_FORMATS,
    description: 'File format; without it the Accept header decides (application/x-ndjson or text/csv), else ndjson.',
  })
  @IsOptional()
  @IsIn(TRANSFER_FORMATS)
  format?: TransferFormat;

  @ApiPropertyOptional({ description: "Filter expression, e.g. `status = 'open'`.", maxLength: FILTER_LIMITS.maxLength })
  @IsOptional()
  @IsString()
  @MaxLength(FILTER_LIMITS.maxLength)
  filter?: string;
}

export class ImportQuery {
  @ApiPropertyOptional({
    enum: IMPORT_MODES,
    default: 'atomic',
    description: 'atomic: all lines or none (422 listing the failures); skip: import the valid lines, report the others.',
  })
  @IsOptional()
  @IsIn(IMPORT_MODES)
  mode?: ImportMode;

  @ApiPropertyOptional({
    enum: IMPORT_IDS,
    default: 'new',
    description:
      'new: every line becomes a new record with a new id, owned by the caller. keep: each line keeps its `id` (required) — ' +
      'an id no record has is created, the id of a live record of this collection replaces it (its owner or an admin only, ' +
      'under the update rule) — so an export imported again changes nothing; admins also keep each line’s `owner`.',
  })
  @IsOptional()
  @IsIn(IMPORT_IDS)
  ids?: ImportIds;
}

export class ImportLineErrorsDto {
  @ApiProperty({ example: 12, description: 'Line of the body the record starts on (the CSV header is line 1).' })
  line!: number;

  @ApiProperty({ type: [FieldErrorDto] })
  errors!: FieldErrorDto[];
}

export class ImportResultDto {
  @ApiProperty({ example: 998, description: 'Lines written: new records, and (ids=keep) records replaced.' })
  imported!: number;

  @ApiProperty({ example: 0, description: 'Of those, existing records replaced under their id (ids=keep; 0 otherwise).' })
  replaced!: number;

  @ApiProperty({ example: 2, description: 'Lines not imported (always 0 for an atomic import).' })
  failed!: number;

  @ApiProperty({ type: [ImportLineErrorsDto], description: 'The failed lines, at most the first 100.' })
  errors!: ImportLineErrorsDto[];
}
