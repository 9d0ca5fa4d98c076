import { Injectable } from '@nestjs/common';
import {
  appleIdProblem,
  applePrivateKeyProblem,
  defaultIssuer,
  defaultScopes,
  issuerProblem,
  redirectUrlProblem,
  type SignInProviderSettings,
} from '@backlot/config';
import { DomainEvents } from '@backlot/events';
import { Conflict, NotFound, ValidationFailed } from '@backlot/http';
import { FieldEncryption } from '@backlot/security';
import { AuthProvidersRepository, type ProviderWrite, type StoredProvider } from './auth-providers.repository';
import { IdentitiesRepository, type IdentityRow } from './identities.repository';
import { ProviderClient } from './provider-client';
import { ProviderRegistry, secretContext } from './provider-registry';
import type { CreateProviderDto, ProviderDto, RedirectUrlsDto, UpdateProviderDto } from './provider-settings.dto';
import { RedirectUrlsRepository } from './redirect-urls.repository';

/** What the admin API does with providers, return pages and users' identities. */
@Injectable()
export class ProviderSettingsService {
  constructor(
    private readonly stored: AuthProvidersRepository,
    private readonly registry: ProviderRegistry,
    private readonly client: ProviderClient,
    private readonly encryption: FieldEncryption,
    private readonly redirectUrls: RedirectUrlsRepository,
    private readonly identities: IdentitiesRepository,
    private readonly events: DomainEvents,
  ) {}

  async list(): Promise<ProviderDto[]> {
    return (await this.registry.all()).map(toDto);
  }

  async get(name: string): Promise<ProviderDto> {
    const provider = (await this.registry.all()).find((candidate) => candidate.name === name);
    if (!provider) throw new NotFound(`No sign-in provider is called "${name}".`);
    return toDto(provider);
  }

  async create(body: CreateProviderDto): Promise<ProviderDto> {
    if (this.registry.isFromEnv(body.name)) throw new Conflict(`"${body.name}" is set by AUTH_PROVIDERS; change it there.`);
    assertIssuer(body.preset, body.issuer);
    const options = body.preset === 'apple' ? appleKey(body.teamId, body.keyId, body.clientSecret) : null;
    const created = await this.stored.create({
      name: body.name,
      preset: body.preset,
      displayName: body.displayName ?? body.name,
      issuer: body.issuer ?? null,
      clientId: body.clientId,
      clientSecret: body.clientSecret ? this.encryption.encrypt(body.clientSecret, secretContext(body.name)) : null,
      options,
      scopes: body.scopes ?? defaultScopes(body.preset),
      enabled: body.enabled ?? true,
    });
    if (!created) throw new Conflict(`A sign-in provider called "${body.name}" exists.`);
    return this.get(created.name);
  }

  async update(name: string, body: UpdateProviderDto): Promise<ProviderDto> {
    const current = await this.editable(name);
    const changes: Partial<ProviderWrite> = {
      ...(body.displayName !== undefined && { displayName: body.displayName }),
      ...(body.issuer !== undefined && { issuer: body.issuer }),
      ...(body.clientId !== undefined && { clientId: body.clientId }),
      ...(body.scopes !== undefined && { scopes: body.scopes }),
      ...(body.enabled !== undefined && { enabled: body.enabled }),
      ...(body.clientSecret !== undefined && {
        clientSecret: body.clientSecret === null ? null : this.encryption.encrypt(body.clientSecret, secretContext(name)),
      }),
    };
    assertIssuer(current.preset as SignInProviderSettings['preset'], changes.issuer ?? current.issuer ?? undefined);
    if (current.preset === 'apple') {
      const known = current.options as { teamId: string; keyId: string };
      // The stored key was checked when it was set; only a new one (or its removal) needs checking.
      changes.options = appleKey(
        body.teamId ?? known.teamId,
        body.keyId ?? known.keyId,
        body.clientSecret === undefined ? KEEP : body.clientSecret,
      );
    }
    if (!(await this.stored.update(name, changes))) throw new NotFound(`No sign-in provider is called "${name}".`);
    this.client.forget(name);
    return this.get(name);
  }

  /** Removes the provider; its identities stay, so re-adding it under the same name signs the same people in. */
  async remove(name: string): Promise<void> {
    await this.editable(name);
    await this.stored.remove(name);
    this.client.forget(name);
  }

  async redirects(): Promise<RedirectUrlsDto> {
    return { fromEnv: [...this.redirectUrls.fromEnv], urls: await this.redirectUrls.stored() };
  }

  async replaceRedirects(urls: string[]): Promise<RedirectUrlsDto> {
    const errors = urls.flatMap((url, index) => {
      const problem = redirectUrlProblem(url);
      return problem ? [{ path: `urls.${index}`, code: 'isRedirectUrl', message: `"${url.slice(0, 100)}" ${problem}` }] : [];
    });
    if (errors.length) throw new ValidationFailed(errors);
    await this.redirectUrls.replace([...new Set(urls)]);
    return this.redirects();
  }

  identitiesOf(userId: string): Promise<IdentityRow[]> {
    return this.identities.listForUser(userId);
  }

  /**
   * An admin may remove any identity, even the last way in: an account taken over at its provider
   * must be cut off, so its sessions end too (sessions do not record which identity opened them).
   */
  async removeIdentity(userId: string, id: string): Promise<void> {
    if (!(await this.identities.remove(userId, id))) throw new NotFound('No such identity on this account.');
    await this.events.emit('user.credentials-changed', { userId, reason: 'identity-removed' });
  }

  private async editable(name: string): Promise<StoredProvider> {
    if (this.registry.isFromEnv(name)) throw new Conflict(`"${name}" is set by AUTH_PROVIDERS; change it there.`);
    const current = await this.stored.find(name);
    if (!current) throw new NotFound(`No sign-in provider is called "${name}".`);
    return current;
  }
}

const KEEP = Symbol('the stored key');

/** Apple's { teamId, keyId } after checking them and the private key (the client secret), or a 400 naming each bad field. */
function appleKey(teamId: string | undefined, keyId: string | undefined, privateKey: string | null | undefined | typeof KEEP) {
  const problems: Array<[string, string | undefined]> = [
    ['teamId', appleIdProblem(teamId, 'team id')],
    ['keyId', appleIdProblem(keyId, 'key id')],
    ['clientSecret', privateKey === KEEP ? undefined : applePrivateKeyProblem(privateKey ?? undefined)],
  ];
  const errors = problems.flatMap(([path, problem]) => (problem ? [{ path, code: 'appleKey', message: `${path} ${problem}` }] : []));
  if (errors.length) throw new ValidationFailed(errors);
  return { teamId: teamId!, keyId: keyId! };
}

function assertIssuer(preset: SignInProviderSettings['preset'], issuer: string | undefined): void {
  const problem = issuerProblem(preset, issuer ?? defaultIssuer(preset));
  if (problem) throw new ValidationFailed([{ path: 'issuer', code: 'issuer', message: `issuer ${problem}` }]);
}

function toDto(provider: SignInProviderSettings): ProviderDto {
  return {
    name: provider.name,
    preset: provider.preset,
    displayName: provider.displayName,
    issuer: provider.issuer ?? null,
    clientId: provider.clientId,
    hasClientSecret: Boolean(provider.clientSecret),
    scopes: provider.scopes,
    enabled: provider.enabled,
    ...provider.appleKey,
    source: provider.source,
    callbackPath: `/api/v1/auth/providers/${provider.name}/callback`,
  };
}
