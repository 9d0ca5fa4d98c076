import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { FILTER_LIMITS } from '../../query/filter-parser';
import { MAX_GROUP_KEYS, MAX_METRICS } from '../aggregate-query';

export const DEFAULT_GROUP_LIMIT = 100;
export const MAX_GROUP_LIMIT = 1_000;

export class AggregateRecordsQuery {
  @ApiPropertyOptional({
    description:
      `Comma-separated group keys (at most ${MAX_GROUP_KEYS}): a field, \`owner\`, or a UTC time bucket ` +
      '`field:hour|day|week|month` of a datetime field, `created` or `updated`. None: one group of all matching records.',
    example: 'status,created:month',
  })
  @IsOptional()
  @IsString()
  @MaxLength(400)
  groupBy?: string;

  @ApiPropertyOptional({
    description:
      `Comma-separated metrics (at most ${MAX_METRICS}): \`count\`, \`sum(f)\`, \`avg(f)\` (number and integer fields), ` +
      '`min(f)`, `max(f)` (also datetime fields, `created`, `updated`).',
    example: 'count,sum(amount)',
    default: 'count',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  metrics?: string;

  @ApiPropertyOptional({ description: "Filter expression, e.g. `status = 'open' && amount > 100`.", maxLength: FILTER_LIMITS.maxLength })
  @IsOptional()
  @IsString()
  @MaxLength(FILTER_LIMITS.maxLength)
  filter?: string;

  @ApiPropertyOptional({ description: 'Most groups to return.', minimum: 1, maximum: MAX_GROUP_LIMIT, default: DEFAULT_GROUP_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_GROUP_LIMIT)
  limit?: number;
}

// A key is text, a number or a boolean, or null for records without a value.
const GROUP_VALUE = { oneOf: [{ type: 'string', nullable: true }, { type: 'number' }, { type: 'boolean' }] };

/** One group; besides `key`, each requested metric is a member named as requested, e.g. `sum(amount)`. */
export interface AggregateGroup {
  key: Record<string, string | number | boolean | null>;
  count?: number;
  [metric: string]: unknown;
}

/**
 * A group's schema, written out: its metrics are members named after the request
 * (`sum(amount)`), which a DTO class cannot declare (a generator must see them as allowed).
 */
const GROUP_SCHEMA = {
  type: 'object',
  required: ['key'],
  properties: {
    key: {
      type: 'object',
      additionalProperties: GROUP_VALUE,
      description: 'The group’s value of each `groupBy` key, by field name (time buckets as ISO-8601 UTC).',
    },
    count: { type: 'integer', description: 'Records in the group (when `count` is requested).' },
  },
  additionalProperties: {
    description: 'Each requested metric, named as requested (`sum(amount)`): a number, ISO-8601 text for datetimes, null over no values.',
    oneOf: [{ type: 'number' }, { type: 'string', nullable: true }],
  },
};

export class AggregateResultDto {
  @ApiProperty({
    type: 'array',
    items: GROUP_SCHEMA,
    description: 'Groups ordered by their keys (ascending, nulls last); metrics are numbers, or ISO-8601 text for datetimes.',
    example: [{ key: { status: 'open', created: '2026-11-01T00:00:00.000Z' }, count: 3, 'sum(amount)': 12.5 }],
  })
  groups!: AggregateGroup[];

  @ApiProperty({ description: 'More groups matched than `limit`.' })
  truncated!: boolean;
}
