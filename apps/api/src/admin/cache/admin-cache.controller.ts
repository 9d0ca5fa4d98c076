import { Delete, Get, HttpCode, Inject, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { CacheService } from '@backlot/cache';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { ApiProblems, ServiceUnavailable } from '@backlot/http';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { CacheStatsDto } from '../stats/dto/stats.dto';
import { CacheInfoDto, CacheNamespaceParam } from './dto/cache.dto';

@AdminController('cache')
export class AdminCacheController {
  constructor(
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @AdminAction('cache.view')
  @ApiOperation({
    summary: 'Cache hit statistics of this instance and the namespaces it knows',
    description:
      'Admins only; audited as `admin.cache.view`. Counts lookups since this instance started; `store` says whether the cache is shared ' +
      'through Redis or held in this process, and `namespaces` lists only those this instance has used.',
  })
  @ApiOkResponse({ type: CacheInfoDto })
  async view(): Promise<CacheInfoDto> {
    return {
      ...CacheStatsDto.from(await this.cache.stats()),
      store: this.config.cache.redisUrl ? 'redis' : 'memory',
      namespaces: this.cache.namespaces(),
    };
  }

  @Delete()
  @HttpCode(204)
  @AdminAction('cache.flush')
  @ApiOperation({
    summary: 'Drop every cached entry, on every instance',
    description:
      'Admins only; audited as `admin.cache.flush`. Without Redis the cache lives in this process, so only this instance’s entries go. ' +
      '503 when Redis cannot be reached; the known namespaces are then invalidated as soon as it is back.',
  })
  @ApiNoContentResponse()
  @ApiProblems(503)
  async flush(): Promise<void> {
    try {
      await this.cache.flushAll();
    } catch {
      throw new ServiceUnavailable('The cache store cannot be reached; the flush is applied as soon as it is back.');
    }
  }

  @Delete(':name')
  @HttpCode(204)
  @AdminAction('cache.invalidate')
  @ApiOperation({
    summary: 'Drop every entry of one namespace, on every instance',
    description:
      'Admins only; audited as `admin.cache.invalidate`. Any well-formed name is accepted, known or not (400 for a malformed one), and ' +
      'is listed in this instance’s namespaces afterwards. When Redis cannot be reached it still answers 204; the invalidation is ' +
      'applied once Redis is back, and the cache is bypassed until then.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400)
  async invalidate(@Param() { name }: CacheNamespaceParam): Promise<void> {
    await this.cache.namespace(name).invalidate();
  }
}
