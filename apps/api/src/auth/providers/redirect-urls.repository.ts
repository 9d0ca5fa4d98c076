import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { PrismaService } from '@backlot/database';

const KEY = 'auth.redirect-urls';

/**
 * The SPA pages a provider sign-in may return to: OAUTH_REDIRECT_URLS (fixed for the process)
 * plus those an admin added at run time, kept in `settings` so every instance reads the same list.
 */
@Injectable()
export class RedirectUrlsRepository {
  readonly fromEnv: readonly string[];

  constructor(
    private readonly prisma: PrismaService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.fromEnv = config.signInProviders.redirectUrls;
  }

  async stored(): Promise<string[]> {
    const row = await this.prisma.setting.findUnique({ where: { key: KEY } });
    return Array.isArray(row?.value) ? (row.value as string[]) : [];
  }

  async all(): Promise<string[]> {
    return [...this.fromEnv, ...(await this.stored())];
  }

  async replace(urls: string[]): Promise<void> {
    await this.prisma.setting.upsert({ where: { key: KEY }, create: { key: KEY, value: urls }, update: { value: urls } });
  }
}
