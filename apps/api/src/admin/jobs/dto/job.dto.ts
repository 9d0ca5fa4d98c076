import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CursorQuery } from '@backlot/http';
import { JOB_STATES, type JobState, type JobView } from '@backlot/jobs';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';

export class JobIdParam {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id!: string;
}

export class JobListQuery extends CursorQuery {
  @ApiPropertyOptional({ enum: JOB_STATES, default: 'failed', description: 'failed = dead-lettered (retry or discard them).' })
  @IsOptional()
  @IsIn(JOB_STATES, { message: `state must be one of ${JOB_STATES.join(', ')}` })
  state?: JobState;

  @ApiPropertyOptional({ example: 'mail.send', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/, { message: 'name must be a job name such as mail.send' })
  name?: string;
}

/** A job as admins see it; payloads are not shown (they may hold sealed personal data). */
export class JobDto implements JobView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'mail.send' }) name!: string;
  @ApiProperty({ enum: JOB_STATES }) state!: JobState;
  @ApiProperty({ description: 'Runs started so far.' }) attempts!: number;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty({ format: 'date-time', description: 'Not before this time.' }) runAt!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last run failed.' }) lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) startedAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) finishedAt!: string | null;
}

export class JobPageDto {
  @ApiProperty({ type: [JobDto] }) items!: JobDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class JobScheduleDto {
  @ApiProperty({ example: 'audit.retention' }) name!: string;
  @ApiProperty({ example: '30 2 * * *', description: 'Cron expression (UTC).' }) cron!: string;
  @ApiProperty({ format: 'date-time' }) nextRunAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastRunAt!: string | null;
}
