import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { FILTER_LIMITS } from '../../query/filter-parser';
import { RecordDto } from './record.dto';

/** A draft list rule and the account to try it as. */
export class RulePreviewDto {
  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: FILTER_LIMITS.maxLength,
    example: 'owner = @me',
    description: 'The draft `list` rule, as a collection would hold it: `null` admins only, `""` anyone, otherwise an expression.',
  })
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(FILTER_LIMITS.maxLength)
  rule!: string | null;

  @ApiProperty({ format: 'uuid', description: 'The account whose view to show.' })
  @IsUUID('all', { message: 'userId must be a UUID' })
  userId!: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 20 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class RulePreviewUserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['user', 'admin'] }) role!: string;
}

export class RulePreviewResultDto {
  @ApiProperty({ type: RulePreviewUserDto }) user!: RulePreviewUserDto;
  @ApiProperty({ description: 'The rule is `null` and the account is not an admin: its list would be a 403.' }) refused!: boolean;
  @ApiProperty({ description: 'The account is an admin: rules do not restrict it, so it lists every record.' }) bypassed!: boolean;
  @ApiProperty({
    type: [RecordDto],
    description: 'The first page the account would list, in creation order, as it would see the records (hidden fields left out).',
  })
  items!: RecordDto[];
  @ApiProperty({ description: 'More records match than the page holds.' }) more!: boolean;
}
