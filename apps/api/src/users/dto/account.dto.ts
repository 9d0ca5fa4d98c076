import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsCurrentPassword, IsNewPassword } from '@backlot/security';
import { IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export class ChangePasswordDto {
  @IsCurrentPassword() currentPassword: string;
  @IsNewPassword() newPassword: string;
}

export class ChangeEmailDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'new@example.com' })
  @IsEmail({}, { message: 'newEmail must be an email address' })
  @MaxLength(254)
  newEmail: string;

  @IsCurrentPassword() password: string;
}

/** Proof that the account holder is present: the password, plus a code when MFA is on. */
export class ReauthenticateDto {
  @IsCurrentPassword() password: string;

  @ApiPropertyOptional({ description: 'TOTP code or recovery code; required when MFA is enabled', example: '123456' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-zA-Z -]{6,16}$/, { message: 'code must be a 6-digit code or a recovery code' })
  code?: string;
}

export class AcceptedDto {
  @ApiProperty({ example: 'Check your inbox to continue.' }) message: string;
}
