import { Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { AdminStatsService } from './admin-stats.service';
import { StatsDto } from './dto/stats.dto';

@AdminController('stats')
export class AdminStatsController {
  constructor(private readonly stats: AdminStatsService) {}

  @Get()
  @AdminAction('stats.view')
  @ApiOperation({ summary: 'Counts, database size, cache hit ratio, job queue, uptime and version' })
  @ApiOkResponse({ type: StatsDto })
  view(): Promise<StatsDto> {
    return this.stats.stats();
  }
}
