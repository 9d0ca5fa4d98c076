import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsCurrentPassword, IsNewPassword } from '@backlot/security';
import { IsBoolean, IsEmail, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

export function EmailField(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ format: 'email', maxLength: 254, example: 'ada@example.com' }),
    IsEmail({}, { message: 'email must be an email address' }),
    MaxLength(254),
  );
}

const COOKIE_DESCRIPTION =
  'SPA cookie mode: the refresh token is set as an httpOnly cookie (path /api/v1/auth) instead of being returned. Needs the X-Backlot-CSRF: 1 header and an allowed Origin.';

export class RegisterDto {
  @EmailField() email: string;
  @IsNewPassword() password: string;
}

export class LoginDto {
  @EmailField() email: string;
  @IsCurrentPassword() password: string;

  @ApiPropertyOptional({ description: COOKIE_DESCRIPTION, default: false })
  @IsOptional()
  @IsBoolean()
  cookie?: boolean;
}

export class EmailDto {
  @EmailField() email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the mailed link', minLength: 43, maxLength: 43 })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'token is malformed' })
  token: string;

  @IsNewPassword() password: string;
}

export class RefreshDto {
  @ApiPropertyOptional({
    description: 'Body mode. Omit it in cookie mode: the cookie is used (with the CSRF header).',
    minLength: 43,
    maxLength: 43,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  refreshToken?: string;
}

export class TokensDto {
  @ApiProperty({ description: 'Short-lived JWT for the Authorization: Bearer header' }) accessToken: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 }) expiresIn: number;
  @ApiPropertyOptional({ description: 'Opaque, one-time refresh token (body mode only)' }) refreshToken?: string;
  @ApiProperty({ format: 'date-time', description: 'When the session ends; refreshing does not extend it' }) refreshTokenExpiresAt: string;
  @ApiProperty({ format: 'uuid' }) sessionId: string;
}

export class MfaChallengeDto {
  @ApiProperty({ enum: [true] }) mfaRequired: true;
  @ApiProperty({ description: 'Send it with a code to POST /auth/mfa/verify' }) challengeToken: string;
  @ApiProperty({ format: 'date-time' }) expiresAt: string;
}

export class AcceptedMessageDto {
  @ApiProperty({ example: 'Check your inbox to continue.' }) message: string;
}
