import { ApiProperty } from '@nestjs/swagger';

export class DatabaseStatsDto {
  @ApiProperty({ enum: ['embedded', 'postgres'] }) kind!: 'embedded' | 'postgres';
  @ApiProperty({ type: Number, nullable: true, description: 'Size of the database on disk (null when it cannot be read).' })
  sizeBytes!: number | null;
}

export class UserStatsDto {
  @ApiProperty() total!: number;
  @ApiProperty() admins!: number;
  @ApiProperty() disabled!: number;
  @ApiProperty({ description: 'Accounts whose email is not verified.' }) unverified!: number;
}

export class CollectionRecordCountsDto {
  @ApiProperty({ example: 'tasks' }) name!: string;
  @ApiProperty() live!: number;
  @ApiProperty({ description: 'Records in the trash.' }) trashed!: number;
  @ApiProperty({ description: 'Stored files of its records (trashed ones included).' }) files!: number;
  @ApiProperty({ description: 'Bytes those files take in storage (thumbnails not counted).' }) fileBytes!: number;
}

export class CollectionStatsDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [CollectionRecordCountsDto] }) records!: CollectionRecordCountsDto[];
}

export class CacheStatsDto {
  @ApiProperty({ description: 'Lookups answered from the cache since this instance started.' }) hits!: number;
  @ApiProperty() misses!: number;
  @ApiProperty({ description: 'Lookups that skipped the cache while Redis was unavailable.' }) bypassed!: number;
  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 1, description: 'hits / (hits + misses); null before any lookup.' })
  hitRatio!: number | null;

  static from(stats: { hits: number; misses: number; bypassed: number }): CacheStatsDto {
    const lookups = stats.hits + stats.misses;
    return { hits: stats.hits, misses: stats.misses, bypassed: stats.bypassed, hitRatio: lookups === 0 ? null : stats.hits / lookups };
  }
}

export class JobStateCountsDto {
  @ApiProperty() pending!: number;
  @ApiProperty() running!: number;
  @ApiProperty() completed!: number;
  @ApiProperty({ description: 'Dead-lettered: retry or discard them in /admin/jobs.' }) failed!: number;
}

export class JobNameStatsDto {
  @ApiProperty({ example: 'mail.send' }) name!: string;
  @ApiProperty({ type: JobStateCountsDto }) states!: JobStateCountsDto;
}

export class JobStatsDto {
  @ApiProperty({ type: JobStateCountsDto }) states!: JobStateCountsDto;
  @ApiProperty({ description: 'Pending jobs already due (the queue depth).' }) due!: number;
  @ApiProperty({ description: 'Age of the oldest due job, in seconds.' }) oldestDueSeconds!: number;
  @ApiProperty({ type: [JobNameStatsDto] }) byName!: JobNameStatsDto[];
}

export class StatsDto {
  @ApiProperty({ example: '0.1.0' }) version!: string;
  @ApiProperty({ description: 'Seconds since this instance started.' }) uptimeSeconds!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ type: DatabaseStatsDto }) database!: DatabaseStatsDto;
  @ApiProperty({ type: UserStatsDto }) users!: UserStatsDto;
  @ApiProperty({ type: CollectionStatsDto }) collections!: CollectionStatsDto;
  @ApiProperty({ type: CacheStatsDto, description: 'This instance’s cache lookups.' }) cache!: CacheStatsDto;
  @ApiProperty({ type: JobStatsDto }) jobs!: JobStatsDto;
}
