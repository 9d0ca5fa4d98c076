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

  @ApiPropertyOptional({ example: 'connect ECONNREFUSED' })
  error?: string;
}

export class ReadinessDto {
  @ApiProperty({ example: 'ok', enum: ['ok'] })
  status: 'ok';

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/DependencyHealthDto' },
    example: { database: { status: 'up', latencyMs: 0.4 } },
  })
  checks: Record<string, DependencyHealthDto>;
}

export class NotReadyProblemDto extends ProblemDto {
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/DependencyHealthDto' } })
  checks: Record<string, DependencyHealthDto>;
}
