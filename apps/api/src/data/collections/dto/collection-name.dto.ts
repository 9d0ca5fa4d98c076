import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class CollectionNameParam {
  @ApiProperty({ example: 'tasks', pattern: '^[a-z][a-z0-9_]{0,62}$' })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: 'name must be a collection name (lower-case letters, digits, _)' })
  name!: string;
}
