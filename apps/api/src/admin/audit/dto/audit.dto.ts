import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { PageQuery, QueryTime } from '@backlot/http';
import { AUDIT_OUTCOMES, type AuditEventRecord, type AuditOutcome } from '@backlot/security';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

export const AUDIT_EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export class AuditFilterQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'The user (or the API key owner) who acted.' })
  @IsOptional()
  @IsUUID('all', { message: 'actorId must be a UUID' })
  actorId?: string;

  @ApiPropertyOptional({ description: 'An exact action, or a prefix ending in `*`.', example: 'auth.*', maxLength: 65 })
  @IsOptional()
  @IsString()
  @MaxLength(65)
  @Matches(/^[a-z0-9][a-z0-9._-]*\*?$/i, {
    message: 'action must be an action name such as auth.login, or a prefix ending in * such as auth.*',
  })
  action?: string;

  @ApiPropertyOptional({ example: 'user', maxLength: 32 })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  @Matches(/^[a-z0-9][a-z0-9._-]*$/i, { message: 'targetType must be a name such as user or session' })
  targetType?: string;

  @ApiPropertyOptional({ maxLength: 254 })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  @Matches(/^[^\p{Cc}]+$/u, { message: 'targetId must not contain control characters' })
  targetId?: string;

  @ApiPropertyOptional({ enum: AUDIT_OUTCOMES })
  @IsOptional()
  @IsIn(AUDIT_OUTCOMES, { message: `outcome must be one of ${AUDIT_OUTCOMES.join(', ')}` })
  outcome?: AuditOutcome;

  @QueryTime('At or after this time.') from?: string;
  @QueryTime('At or before this time (not before from).') to?: string;
}

export class AuditListQuery extends IntersectionType(AuditFilterQuery, PageQuery) {}

export class AuditExportQuery extends AuditFilterQuery {
  @ApiPropertyOptional({
    enum: AUDIT_EXPORT_FORMATS,
    description: 'File format; without it the Accept header decides (application/x-ndjson or text/csv), else ndjson.',
  })
  @IsOptional()
  @IsIn(AUDIT_EXPORT_FORMATS, { message: 'format must be ndjson or csv' })
  format?: AuditExportFormat;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['user', 'api-key', 'anonymous', 'system'] }) actorType!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) actorId!: string | null;
  @ApiProperty({ example: 'auth.login' }) action!: string;
  @ApiProperty({ type: String, nullable: true, example: 'user' }) targetType!: string | null;
  @ApiProperty({ type: String, nullable: true }) targetId!: string | null;
  @ApiProperty({ enum: AUDIT_OUTCOMES }) outcome!: string;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent!: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) details!: Record<string, unknown> | null;

  static from(event: AuditEventRecord): AuditEventDto {
    return { ...event, at: event.at.toISOString(), details: (event.details as Record<string, unknown> | null) ?? null };
  }
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Present when count=true.' }) total?: number;
}
