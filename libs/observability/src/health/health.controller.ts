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
  @ApiOperation({
    summary: 'Liveness: the process is up and serving HTTP',
    description: 'Checks no dependency: restart the process only when this fails, never because the database or Redis is down.',
  })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is serving requests' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Readiness: the instance can serve requests',
    description:
      'Required dependencies (the database) must answer; an optional one (Redis) that is down makes the status `degraded` ' +
      'with a 200, since every request is still served (cache bypassed, rate limits counted per instance).',
  })
  @ApiOkResponse({ type: ReadinessDto, description: 'Every required dependency answered; `degraded` when an optional one did not' })
  @ApiResponse({
    status: 503,
    description: 'A required dependency is down',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/NotReadyProblemDto' } } },
  })
  async ready(): Promise<ReadinessDto> {
    const checks = await this.registry.checkAll();
    const down = Object.entries(checks).filter(([, health]) => health.status === 'down');
    const required = down.filter(([, health]) => health.required).map(([name]) => name);
    if (required.length > 0)
      throw new ServiceUnavailable(`Not ready: ${required.join(', ')} ${required.length === 1 ? 'is' : 'are'} down.`, { checks });
    return { status: down.length > 0 ? 'degraded' : 'ok', checks };
  }
}
