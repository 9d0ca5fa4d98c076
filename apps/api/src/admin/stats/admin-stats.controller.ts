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
  @ApiOperation({
    summary: 'Counts, database size, cache hit ratio, job queue, uptime and version',
    description:
      'Admins only; audited as `admin.stats.view`. Uptime and cache figures are this instance’s; users, records and stored files per ' +
      'collection, and jobs by state and name are read from the database. `database.sizeBytes` is null when the database does not ' +
      'report its size.',
  })
  @ApiOkResponse({ type: StatsDto })
  view(): Promise<StatsDto> {
    return this.stats.stats();
  }
}
