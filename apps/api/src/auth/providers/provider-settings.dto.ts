import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PROVIDER_NAME, PROVIDER_PRESETS } from '@backlot/config';

/** May be left out, but not sent as null (null would clear a setting that must have a value). */
function Omittable(): PropertyDecorator {
  return ValidateIf((_, value) => value !== undefined);
}

const SCOPES = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

export class ProviderNameParam {
  @ApiProperty({ example: 'google', pattern: PROVIDER_NAME.source })
  @Matches(PROVIDER_NAME, { message: 'name must be lower-case letters, digits and dashes, starting with a letter (at most 40)' })
  name: string;
}

class ProviderFields {
  @ApiPropertyOptional({ maxLength: 100, example: 'Google', description: 'Shown on sign-in pages; defaults to the name' })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  displayName?: string;

  @ApiPropertyOptional({
    maxLength: 2048,
    format: 'uri',
    description:
      'OpenID Connect issuer (discovery). Required for oidc and microsoft (https://login.microsoftonline.com/<tenant>/v2.0); google and ' +
      'gitlab default to theirs; for github it points at GitHub Enterprise. https, or http on loopback only.',
  })
  @Omittable()
  @IsString()
  @MaxLength(2048)
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'issuer must be an http(s) URL' })
  issuer?: string;

  @ApiPropertyOptional({ maxLength: 1000, example: 'openid email profile', description: 'Space-separated; a sensible default per preset' })
  @Omittable()
  @IsString()
  @MaxLength(1000)
  @Matches(SCOPES, { message: 'scopes must be space-separated scope tokens' })
  scopes?: string;

  @ApiPropertyOptional({ default: true })
  @Omittable()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ example: 'ABCDE12345', description: 'apple only: the team id of the developer account (signs the client secret)' })
  @Omittable()
  @IsString()
  @MaxLength(10)
  teamId?: string;

  @ApiPropertyOptional({ example: 'KEY1234567', description: 'apple only: the id of the key in `clientSecret`' })
  @Omittable()
  @IsString()
  @MaxLength(10)
  keyId?: string;
}

export class CreateProviderDto extends ProviderFields {
  @ApiProperty({ example: 'google', pattern: PROVIDER_NAME.source, description: 'Path segment of its URLs; cannot change later' })
  @IsString()
  @Matches(PROVIDER_NAME, { message: 'name must be lower-case letters, digits and dashes, starting with a letter (at most 40)' })
  name: string;

  @ApiProperty({ enum: PROVIDER_PRESETS })
  @IsIn(PROVIDER_PRESETS)
  preset: (typeof PROVIDER_PRESETS)[number];

  @ApiProperty({ maxLength: 500 })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  clientId: string;

  @ApiPropertyOptional({
    maxLength: 4000,
    description:
      'Stored sealed with the field-encryption keys; never returned. For apple: the .p8 private key (PEM) that signs the client secret.',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  clientSecret?: string;
}

export class UpdateProviderDto extends ProviderFields {
  @ApiPropertyOptional({ maxLength: 500 })
  @Omittable()
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  clientId?: string;

  @ApiPropertyOptional({ maxLength: 4000, nullable: true, type: String, description: 'null removes it; never returned' })
  @ValidateIf((_, value) => value !== null)
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  clientSecret?: string | null;
}

export class ProviderDto {
  @ApiProperty() name: string;
  @ApiProperty({ enum: PROVIDER_PRESETS }) preset: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ nullable: true, type: String }) issuer: string | null;
  @ApiProperty() clientId: string;
  @ApiProperty({ description: 'Whether a client secret is set (it is never shown)' }) hasClientSecret: boolean;
  @ApiProperty() scopes: string;
  @ApiProperty() enabled: boolean;
  @ApiPropertyOptional({ description: 'apple only' }) teamId?: string;
  @ApiPropertyOptional({ description: 'apple only' }) keyId?: string;
  @ApiProperty({ enum: ['env', 'admin'], description: 'env: set by AUTH_PROVIDERS, read-only here' }) source: 'env' | 'admin';
  @ApiProperty({
    description: 'The redirect URI to register at the provider, under PUBLIC_URL',
    example: '/api/v1/auth/providers/google/callback',
  })
  callbackPath: string;
}

export class RedirectUrlsDto {
  @ApiProperty({ type: [String], description: 'From OAUTH_REDIRECT_URLS; read-only here' }) fromEnv: string[];
  @ApiProperty({ type: [String], description: 'Set through this API' }) urls: string[];
}

export class ReplaceRedirectUrlsDto {
  @ApiProperty({ type: [String], maxItems: 100, example: ['https://app.example.com/auth/done'] })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(2048, { each: true })
  urls: string[];
}
