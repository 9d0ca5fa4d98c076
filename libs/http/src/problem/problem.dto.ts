import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' })
  path: string;

  @ApiProperty({ example: 'isEmail' })
  code: string;

  @ApiProperty({ example: 'email must be an email' })
  message: string;

  @ApiPropertyOptional({ example: 12, description: 'For an expression (a filter, a rule): the 0-based offset of the error in its text' })
  position?: number;
}

/** RFC 9457 problem details as Backlot sends them (content type application/problem+json). */
export class ProblemDto {
  @ApiProperty({ example: 'https://backlot.dev/problems/validation', description: 'URI identifying the problem type' })
  type: string;

  @ApiProperty({ example: 'Bad Request' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'The request has invalid fields.' })
  detail: string;

  @ApiPropertyOptional({ example: '/api/v1/example' })
  instance?: string;

  @ApiPropertyOptional({ example: '0193a0c4-7c1e-7cc2-9d3b-4c8f2b1a9e11', description: 'Echoes the x-request-id header' })
  requestId?: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Per-field failures (validation problems only)' })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({ description: 'Present on 500 responses; quote it when reporting the failure' })
  errorId?: string;

  @ApiPropertyOptional({ example: 30, description: 'Seconds to wait (429 responses; also in the Retry-After header)' })
  retryAfter?: number;
}
