import { ApiProperty } from '@nestjs/swagger';

export class RealtimeTicketDto {
  @ApiProperty({ description: 'Pass as `?ticket=` to GET /realtime, once, within 30 seconds.', example: 'Jc3Fz…' })
  ticket!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
