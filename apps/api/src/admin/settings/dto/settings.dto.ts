import { ApiProperty } from '@nestjs/swagger';

export type SettingValue = string | number | boolean | string[] | null;

/** One effective setting: where it comes from and its value, masked when it is a secret. */
export class SettingDto {
  @ApiProperty({ example: 'accessTokenTtlSeconds' }) key!: string;

  @ApiProperty({ type: String, nullable: true, example: 'ACCESS_TOKEN_TTL_SECONDS', description: 'The environment variable that sets it.' })
  env!: string | null;

  @ApiProperty({
    // null (a setting left unset) is the string branch's, so exactly one branch matches any value.
    oneOf: [{ type: 'string', nullable: true }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }],
    description: 'The value in force. A secret is `********` when set and null when not; a URL keeps everything but its password.',
  })
  value!: SettingValue;

  @ApiProperty({ description: 'Whether the value is a secret (and so masked).' }) secret!: boolean;
}

export class SettingsGroupDto {
  @ApiProperty({ example: 'auth' }) name!: string;
  @ApiProperty({ example: 'Sign-in and tokens' }) label!: string;
  @ApiProperty({ type: [SettingDto] }) settings!: SettingDto[];
}

export class SettingsDto {
  @ApiProperty({ type: [SettingsGroupDto], description: 'Server, database, cache, auth, sign-in providers, storage, mail, limits, …' })
  groups!: SettingsGroupDto[];
}
