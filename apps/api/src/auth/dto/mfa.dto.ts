import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

const CODE = /^\s*(\d{6}|[0-9a-zA-Z]{5}-?[0-9a-zA-Z]{5})\s*$/;

export class MfaCodeDto {
  @ApiProperty({ description: 'A 6-digit code from the authenticator app', example: '123456' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be 6 digits' })
  code: string;
}

export class MfaDisableDto {
  @ApiPropertyOptional({ description: 'A current code or a recovery code; or give the password', example: '123456' })
  @IsOptional()
  @IsString()
  @Matches(CODE, { message: 'code must be a 6-digit code or a recovery code' })
  code?: string;

  @ApiPropertyOptional({ format: 'password', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password?: string;
}

export class MfaVerifyDto {
  @ApiProperty({ description: 'The challenge token from the login response' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'challengeToken is malformed' })
  challengeToken: string;

  @ApiProperty({ description: 'A 6-digit code or a recovery code (xxxxx-xxxxx)', example: '123456' })
  @IsString()
  @Matches(CODE, { message: 'code must be a 6-digit code or a recovery code' })
  code: string;

  @ApiPropertyOptional({ description: 'SPA cookie mode, as for login', default: false })
  @IsOptional()
  @IsBoolean()
  cookie?: boolean;
}

export class MfaSetupDto {
  @ApiProperty({ description: 'Base32 TOTP secret, for manual entry' }) secret: string;
  @ApiProperty({ description: 'otpauth:// URI, for a QR code' }) otpauthUri: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], description: 'One-time recovery codes, shown only now', example: ['abcde-fghjk'] })
  recoveryCodes: string[];
}
