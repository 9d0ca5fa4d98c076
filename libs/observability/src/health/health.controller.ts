import { Controller, Get, Header } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE, Public, ServiceUnavailable } from '@backlot/http';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthRegistry } from './health-registry';
import { DependencyHealthDto, LivenessDto, NotReadyProblemDto, ReadinessDto } from './health.dto';

/** Probes for load balancers and orchestrators; never rate-limited, never cached. */
@ApiTags('operations')
@ApiExtraModels(DependencyHealthDto, NotReadyProblemDto)
@SkipThrottle()
@Controller('health')
@Public()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get('live')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is serving requests' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Readiness: every dependency (database, Redis when configured) answers' })
  @ApiOkResponse({ type: ReadinessDto, description: 'Every dependency answered' })
  @ApiResponse({
    status: 503,
    description: 'A dependency is down',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/NotReadyProblemDto' } } },
  })
  async ready(): Promise<ReadinessDto> {
    const checks = await this.registry.checkAll();
    const down = Object.entries(checks)
      .filter(([, health]) => health.status === 'down')
      .map(([name]) => name);
    if (down.length > 0)
      throw new ServiceUnavailable(`Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} down.`, { checks });
    return { status: 'ok', checks };
  }
}
