import { Body, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { IdentityDto } from '../../auth/providers/providers.dto';
import {
  CreateProviderDto,
  ProviderDto,
  ProviderNameParam,
  RedirectUrlsDto,
  ReplaceRedirectUrlsDto,
  UpdateProviderDto,
} from '../../auth/providers/provider-settings.dto';
import { ProviderSettingsService } from '../../auth/providers/provider-settings.service';
import { AdminAction, AdminController } from '../admin-controller.decorator';

const AUDITED = (action: string) => `Admins only; audited as \`admin.${action}\`.`;

/** Sign-in providers and the pages a sign-in may return to, at run time. */
@AdminController('sign-in')
export class AdminSignInController {
  constructor(private readonly settings: ProviderSettingsService) {}

  @Get('providers')
  @AdminAction('sign-in.providers.list')
  @ApiOperation({
    summary: 'Every sign-in provider, from the environment and from this API, enabled or not',
    description: `${AUDITED('sign-in.providers.list')} Client secrets are never shown: \`hasClientSecret\` says whether one is set.`,
  })
  @ApiOkResponse({ type: [ProviderDto] })
  list(): Promise<ProviderDto[]> {
    return this.settings.list();
  }

  @Post('providers')
  @AdminAction('sign-in.providers.create')
  @ApiOperation({
    summary: 'Add a sign-in provider (OpenID Connect issuer or a preset)',
    description:
      `${AUDITED('sign-in.providers.create')} The client secret is sealed with the field-encryption keys. 400 for a preset without the ` +
      'issuer it needs; 409 for a name in use (also by AUTH_PROVIDERS). Register `callbackPath` under PUBLIC_URL at the provider.',
  })
  @ApiCreatedResponse({ type: ProviderDto })
  @ApiProblems(400, 409)
  create(@Body() body: CreateProviderDto): Promise<ProviderDto> {
    return this.settings.create(body);
  }

  @Get('providers/:name')
  @AdminAction('sign-in.providers.view')
  @ApiOperation({ summary: 'One sign-in provider', description: `${AUDITED('sign-in.providers.view')} 404 for an unknown name.` })
  @ApiOkResponse({ type: ProviderDto })
  @ApiProblems(400, 404)
  view(@Param() { name }: ProviderNameParam): Promise<ProviderDto> {
    return this.settings.get(name);
  }

  @Patch('providers/:name')
  @AdminAction('sign-in.providers.update')
  @ApiOperation({
    summary: 'Change a provider added through this API (display name, issuer, client, scopes, enabled)',
    description:
      `${AUDITED('sign-in.providers.update')} Any subset; \`clientSecret: null\` removes the secret. Sign-ins already at the provider ` +
      'finish with the new settings. 409 for a provider set by AUTH_PROVIDERS; 404 for an unknown name.',
  })
  @ApiOkResponse({ type: ProviderDto })
  @ApiProblems(400, 404, 409)
  update(@Param() { name }: ProviderNameParam, @Body() body: UpdateProviderDto): Promise<ProviderDto> {
    return this.settings.update(name, body);
  }

  @Delete('providers/:name')
  @HttpCode(204)
  @AdminAction('sign-in.providers.delete')
  @ApiOperation({
    summary: 'Remove a provider added through this API',
    description:
      `${AUDITED('sign-in.providers.delete')} Its identities stay linked, so adding it again under the same name signs the same people ` +
      'in; disable it instead to keep its settings. 409 for a provider set by AUTH_PROVIDERS; 404 for an unknown name.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async remove(@Param() { name }: ProviderNameParam): Promise<void> {
    await this.settings.remove(name);
  }

  @Get('redirect-urls')
  @AdminAction('sign-in.redirect-urls.view')
  @ApiOperation({
    summary: 'The SPA pages a provider sign-in may return to',
    description: `${AUDITED('sign-in.redirect-urls.view')} OAUTH_REDIRECT_URLS plus the list set here; a return page must match one's origin and path.`,
  })
  @ApiOkResponse({ type: RedirectUrlsDto })
  redirects(): Promise<RedirectUrlsDto> {
    return this.settings.redirects();
  }

  @Put('redirect-urls')
  @AdminAction('sign-in.redirect-urls.replace')
  @ApiOperation({
    summary: 'Replace the list of return pages set through this API',
    description: `${AUDITED('sign-in.redirect-urls.replace')} Absolute http(s) URLs without a fragment (400 naming the entry); at most 100.`,
  })
  @ApiOkResponse({ type: RedirectUrlsDto })
  @ApiProblems(400)
  replaceRedirects(@Body() body: ReplaceRedirectUrlsDto): Promise<RedirectUrlsDto> {
    return this.settings.replaceRedirects(body.urls);
  }
}

/** A user's provider identities, for admins: see them, and cut one off (even the last way in). */
@AdminController('users')
export class AdminIdentitiesController {
  constructor(private readonly settings: ProviderSettingsService) {}

  @Get(':id/identities')
  @AdminAction('users.identities.list')
  @ApiOperation({
    summary: "A user's linked sign-in providers",
    description: `${AUDITED('users.identities.list')} Empty for an unknown user.`,
  })
  @ApiOkResponse({ type: [IdentityDto] })
  @ApiProblems(400)
  async list(@Param('id', new ParseUUIDPipe()) id: string): Promise<IdentityDto[]> {
    return (await this.settings.identitiesOf(id)).map((identity) => IdentityDto.from(identity));
  }

  @Delete(':id/identities/:identityId')
  @HttpCode(204)
  @AdminAction('users.identities.delete')
  @ApiOperation({
    summary: "Unlink one of a user's sign-in providers",
    description:
      `${AUDITED('users.identities.delete')} Allowed even when it is the account's last way in (an account taken over at its provider ` +
      'must be cut off); the user can then reset a password by mail. 404 when the identity is not that user’s.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async remove(@Param('id', new ParseUUIDPipe()) id: string, @Param('identityId', new ParseUUIDPipe()) identityId: string): Promise<void> {
    await this.settings.removeIdentity(id, identityId);
  }
}
