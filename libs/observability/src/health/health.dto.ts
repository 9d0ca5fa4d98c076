import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProblemDto } from '@backlot/http';

export class LivenessDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] })
  status: 'ok';
}

export class DependencyHealthDto {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status: 'up' | 'down';

  @ApiPropertyOptional({ example: 0.42 })
  latencyMs?: number;

  @ApiPropertyOptional({ example: 'connection refused' })
  error?: string;

  @ApiProperty({ description: 'Whether the instance cannot serve without it (down → 503) or only runs degraded (down → 200 `degraded`).' })
  required: boolean;
}

export class ReadinessDto {
  @ApiProperty({
    example: 'ok',
    enum: ['ok', 'degraded'],
    description: '`degraded`: an optional dependency (Redis) is down; requests are still served.',
  })
  status: 'ok' | 'degraded';

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DependencyHealthDto' },
    example: {
      database: { status: 'up', latencyMs: 0.4, required: true },
      redis: { status: 'down', error: 'not connected', required: false },
    },
  })
  checks: Record<string, DependencyHealthDto>;
}

export class NotReadyProblemDto extends ProblemDto {
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/DependencyHealthDto' } })
  checks: Record<string, DependencyHealthDto>;
}
