import { Injectable, type OnModuleInit } from '@nestjs/common';
import { UserDataExport } from '@backlot/events';
import { AuthProvidersRepository } from './auth-providers.repository';
import { FormPostBodyParser } from './form-post-body-parser';
import { IdentitiesController } from './identities.controller';
import { IdentitiesRepository } from './identities.repository';
import { ProviderAccounts } from './provider-accounts';
import { ProviderClient } from './provider-client';
import { ProviderRegistry } from './provider-registry';
import { ProviderSignInService } from './provider-sign-in.service';
import { ProvidersController } from './providers.controller';
import { ProviderSettingsService } from './provider-settings.service';
import { RedirectUrlsRepository } from './redirect-urls.repository';
import { SignInFlowsRepository } from './sign-in-flows.repository';

/** A user's identities are theirs: part of the own-data export (they go with the account on deletion). */
@Injectable()
class IdentitiesInExport implements OnModuleInit {
  constructor(
    private readonly exports: UserDataExport,
    private readonly identities: IdentitiesRepository,
  ) {}

  onModuleInit(): void {
    this.exports.register('identities', async (userId) =>
      (await this.identities.listForUser(userId)).map(({ id, provider, subject, email, emailVerified, createdAt, lastSignInAt }) => ({
        id,
        provider,
        subject,
        email,
        emailVerified,
        createdAt: createdAt.toISOString(),
        lastSignInAt: lastSignInAt?.toISOString() ?? null,
      })),
    );
  }
}

/** Sign-in with providers, part of the auth module (it finishes sign-ins through LoginService). */
export const PROVIDER_SIGN_IN_CONTROLLERS = [ProvidersController, IdentitiesController];
export const PROVIDER_SIGN_IN_PROVIDERS = [
  AuthProvidersRepository,
  IdentitiesRepository,
  SignInFlowsRepository,
  RedirectUrlsRepository,
  ProviderSettingsService,
  ProviderClient,
  ProviderRegistry,
  ProviderSignInService,
  ProviderAccounts,
  IdentitiesInExport,
  FormPostBodyParser,
];
/** For the admin API: providers at run time, and a user's identities. */
export const PROVIDER_SIGN_IN_EXPORTS = [ProviderSettingsService, IdentitiesRepository];
