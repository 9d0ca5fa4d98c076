import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNewPassword, TokenDto } from '@backlot/security';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { EmailField } from '../../auth/dto/credentials.dto';
import { UserDto } from '../../users/dto/user.dto';

export class SetupStatusDto {
  @ApiProperty({ description: 'True while no admin exists: the first admin can be created with a setup token.' })
  open: boolean;
}

/** `token`: the one of the setup URL the server logged at start (after `#token=`). */
export class FirstAdminDto extends TokenDto {
  @EmailField() email: string;
  @IsNewPassword() password: string;
}

export class LocalAdminDto {
  @EmailField() email: string;

  @ApiPropertyOptional({ description: 'Needed only when the account does not exist yet (it is then created with it)', format: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(1_000)
  password?: string;
}

export class LocalAdminResultDto {
  @ApiProperty({ enum: ['created', 'promoted', 'already-admin'] }) outcome: 'created' | 'promoted' | 'already-admin';
  @ApiProperty({ type: UserDto }) user: UserDto;
}
