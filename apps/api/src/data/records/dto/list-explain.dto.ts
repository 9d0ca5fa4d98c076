import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { QueryBoolean } from '@backlot/http';
import { IsBoolean, IsOptional, IsUUID } from 'class-validator';
import { ListRecordsQuery } from './record.dto';

/** The listing to explain (as `GET records` takes it), and whose. */
export class ListExplainQuery extends PickType(ListRecordsQuery, ['filter', 'sort', 'q', 'limit', 'cursor'] as const) {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Explain the listing as this account sends it (its list rule in the query); default: you.',
  })
  @IsOptional()
  @IsUUID('all', { message: 'as must be a user id' })
  as?: string;

  @ApiPropertyOptional({ description: 'Also run the statement (it only reads) and report actual rows, timings and buffers.' })
  @IsOptional()
  @QueryBoolean()
  @IsBoolean()
  analyze?: boolean;
}

export class ExplainedIndexDto {
  @ApiProperty({ example: 'rec_0f3c…' }) name!: string;
  @ApiProperty({ enum: ['declared', 'field'], description: 'From `options.indexes`, or a field’s `indexed` / `unique`.' }) kind!: string;
  @ApiProperty({ type: [String], example: ['status', '-created'] }) fields!: string[];
  @ApiProperty() unique!: boolean;
  @ApiProperty({
    enum: ['ready', 'notReady', 'missing'],
    description:
      '`notReady`: being built without blocking writes, or a build that failed (built again at the next start); `missing`: not built yet.',
  })
  state!: string;
  @ApiProperty({ description: 'The plan reads this index.' }) used!: boolean;
}

export class ListExplainDto {
  @ApiProperty({ description: 'The statement the listing sends, with $n placeholders.' }) statement!: string;
  @ApiProperty({ type: [String], description: 'PostgreSQL’s plan, one line per element (EXPLAIN’s text format).' }) plan!: string[];
  @ApiProperty({ description: 'The statement was run (analyze=true): the plan has actual rows and times.' }) analyzed!: boolean;
  @ApiProperty({ type: [ExplainedIndexDto], description: 'The collection’s own indexes, and whether the plan uses each.' })
  indexes!: ExplainedIndexDto[];
}
