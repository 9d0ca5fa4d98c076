import { ApiProperty } from '@nestjs/swagger';
import { CACHE_NAMESPACE_PATTERN } from '@backlot/cache';
import { IsString, Matches } from 'class-validator';
import { CacheStatsDto } from '../../stats/dto/stats.dto';

export class CacheNamespaceParam {
  @ApiProperty({ example: 'user-profiles', pattern: CACHE_NAMESPACE_PATTERN.source })
  @IsString()
  @Matches(CACHE_NAMESPACE_PATTERN, { message: 'name must be a cache namespace: letters, digits, . _ - (at most 64)' })
  name!: string;
}

export class CacheInfoDto extends CacheStatsDto {
  @ApiProperty({ enum: ['memory', 'redis'], description: 'memory: this process only; redis: shared by every instance.' })
  store!: 'memory' | 'redis';

  @ApiProperty({ type: [String], description: 'Namespaces this instance has used (per-collection ones appear on first use).' })
  namespaces!: string[];
}
