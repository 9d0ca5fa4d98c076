import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, defaultIssuer, type SignInProviderSettings } from '@backlot/config';
import { FieldEncryption } from '@backlot/security';
import { AuthProvidersRepository, type StoredProvider } from './auth-providers.repository';

/** Stands for a client secret a list does not need to open (a key missing from the ring must not break lists). */
const SEALED = '(sealed)';

/** Binds a sealed client secret to its provider row: a secret copied to another provider does not open. */
export const secretContext = (name: string): string => `auth_providers.client_secret:${name}`;

/**
 * Every sign-in provider: those from the environment (fixed for the process) and those added
 * through the admin API (read from the database on each use, so every instance sees a change at
 * once). An environment provider's name cannot be reused by the admin API.
 */
@Injectable()
export class ProviderRegistry {
  private readonly fromEnv: SignInProviderSettings[];

  constructor(
    private readonly stored: AuthProvidersRepository,
    private readonly encryption: FieldEncryption,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.fromEnv = config.signInProviders.providers;
  }

  /** Every provider, for lists: client secrets stay sealed (`clientSecret` only says whether one is set). */
  async all(): Promise<SignInProviderSettings[]> {
    const stored = (await this.stored.list()).filter((row) => !this.isFromEnv(row.name));
    return [...this.fromEnv, ...stored.map((row) => this.settings(row, false))];
  }

  /** The enabled provider of that name, or undefined. */
  async enabled(name: string): Promise<SignInProviderSettings | undefined> {
    const fromEnv = this.fromEnv.find((provider) => provider.name === name);
    if (fromEnv) return fromEnv;
    const row = await this.stored.find(name);
    return row?.enabled ? this.settings(row, true) : undefined;
  }

  isFromEnv(name: string): boolean {
    return this.fromEnv.some((provider) => provider.name === name);
  }

  private settings(row: StoredProvider, unseal: boolean): SignInProviderSettings {
    const preset = row.preset as SignInProviderSettings['preset'];
    return {
      name: row.name,
      preset,
      displayName: row.displayName,
      issuer: row.issuer ?? defaultIssuer(preset),
      clientId: row.clientId,
      clientSecret: row.clientSecret ? (unseal ? this.encryption.decrypt(row.clientSecret, secretContext(row.name)) : SEALED) : undefined,
      ...(preset === 'apple' && { appleKey: row.options as { teamId: string; keyId: string } }),
      scopes: row.scopes,
      enabled: row.enabled,
      source: 'admin',
    };
  }
}
