import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { PROVIDER_NAME } from '@backlot/config';
import { ApiProblems, BadRequest, NotFound } from '@backlot/http';
import { CredentialRateLimit, CurrentRequest, Public, type RequestMeta } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MfaChallengeDto, TokensDto } from '../dto/credentials.dto';
import { CSRF_HEADER, RefreshCookie } from '../refresh-cookie';
import { TokenResponse } from '../token-response';
import { ProviderRegistry } from './provider-registry';
import { ProviderSignInService } from './provider-sign-in.service';
import { AuthorizeQuery, ExchangeCodeDto, PublicProviderDto } from './providers.dto';

const NAME_PARAM = { name: 'name', description: 'The provider, as listed by GET /auth/providers', example: 'google' };

/** The public side of sign-in with a provider: the list for a sign-in page, the redirects, the exchange. */
@ApiTags('auth')
@Controller('auth/providers')
@Public()
export class ProvidersController {
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly signIn: ProviderSignInService,
    private readonly cookie: RefreshCookie,
    private readonly tokens: TokenResponse,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'The enabled sign-in providers, for a sign-in page',
    description: 'Public. Names, display names and presets only; nothing about clients or secrets.',
  })
  @ApiOkResponse({ type: [PublicProviderDto] })
  async list(): Promise<PublicProviderDto[]> {
    return (await this.registry.all())
      .filter((provider) => provider.enabled)
      .map(({ name, displayName, preset }) => ({ name, displayName, preset }));
  }

  @Get(':name/authorize')
  @CredentialRateLimit()
  @ApiOperation({
    summary: "Start a sign-in: redirects the browser to the provider's sign-in page",
    description:
      'Public; open it as a page (a link or `location.href`), not with fetch. `redirect` must be on the OAUTH_REDIRECT_URLS allow-list ' +
      '(400 otherwise, before anything leaves); `challenge` is the SHA-256 of a verifier the SPA keeps for the exchange. The ' +
      'provider comes back to `/auth/providers/{name}/callback`, which sends the browser to `redirect` with a one-time `code` for ' +
      'POST /auth/providers/exchange, or with `error` and `error_description`. 404 for an unknown or disabled provider, 503 when ' +
      'its discovery document cannot be fetched (or PUBLIC_URL is unset in production).',
  })
  @ApiParam(NAME_PARAM)
  @ApiResponse({ status: 302, description: "To the provider's authorization endpoint (PKCE S256, state, nonce)." })
  @ApiProblems(400, 404, 429, 503)
  async authorize(
    @Param('name') name: string,
    @Query() query: AuthorizeQuery,
    @Req() raw: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const url = await this.signIn.start(knownName(name), {
      redirect: query.redirect,
      challenge: query.challenge,
      apiBaseUrl: apiBaseUrl(raw),
    });
    reply.status(302).header('cache-control', 'no-store').header('location', url).send();
  }

  @Get(':name/callback')
  @ApiOperation({
    summary: 'Where the provider sends the browser back (register this URL at the provider)',
    description:
      'Public; called by the provider, not by your code. Redirects to the SPA page the sign-in started with: `?code=` (one-time, two ' +
      'minutes) on success, `?link_code=` for a link flow (confirm it with POST /users/me/identities/confirm), or `?error=` with one of access_denied, provider_error, ' +
      'provider_unavailable, expired, email_not_verified, account_exists, account_disabled, identity_in_use, and ' +
      '`error_description`. 400 only when the callback belongs to no sign-in started here.',
  })
  @ApiParam(NAME_PARAM)
  @ApiResponse({ status: 302, description: 'To the SPA page, with `code`, `link_code`, or `error` and `error_description`.' })
  @ApiProblems(400, 404, 429)
  @CredentialRateLimit()
  async callback(
    @Param('name') name: string,
    @Req() raw: FastifyRequest,
    @CurrentRequest() request: RequestMeta,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const query = raw.url.includes('?') ? raw.url.slice(raw.url.indexOf('?') + 1) : '';
    this.redirect(reply, await this.signIn.callback(knownName(name), new URLSearchParams(query), request));
  }

  /** To the SPA page; its URL carries a one-time code, so it is neither cached nor sent on as a Referer. */
  private redirect(reply: FastifyReply, url: string): void {
    reply.status(302).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('location', url).send();
  }

  @Post(':name/callback')
  @HttpCode(302)
  @ApiOperation({
    summary: 'Where a provider answering with form_post (Apple) sends the browser back',
    description:
      'Public; called by the provider with an `application/x-www-form-urlencoded` body (`code`, `state`, and Apple’s `user`), ' +
      'answered like the GET callback.',
  })
  @ApiParam(NAME_PARAM)
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({ schema: { type: 'object', properties: { code: { type: 'string' }, state: { type: 'string' }, user: { type: 'string' } } } })
  @ApiResponse({ status: 302, description: 'To the SPA page, with `code`, `link_code`, or `error` and `error_description`.' })
  @ApiProblems(400, 404, 413, 415, 429)
  @CredentialRateLimit()
  async formCallback(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentRequest() request: RequestMeta,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (typeof body !== 'string') throw new BadRequest('The callback must be a form (application/x-www-form-urlencoded).');
    this.redirect(reply, await this.signIn.callback(knownName(name), new URLSearchParams(body), request));
  }

  @Post('exchange')
  @HttpCode(200)
  @CredentialRateLimit()
  @ApiOperation({
    summary: "Trade the one-time code from the provider sign-in for tokens (or the MFA challenge), like POST /auth/login's answer",
    description:
      'Public: the code and the verifier of the authorize call’s `challenge` are the credential; the code works once, for two ' +
      'minutes (401 otherwise, with a wrong verifier, or for a disabled account). With MFA on ' +
      'the answer is a challenge for POST /auth/mfa/verify. Cookie mode as in POST /auth/login.',
  })
  @ApiHeader({ name: CSRF_HEADER, required: false, description: 'Must be `1` in cookie mode (CSRF defence)' })
  @ApiExtraModels(TokensDto, MfaChallengeDto)
  @ApiOkResponse({ schema: { oneOf: [{ $ref: getSchemaPath(TokensDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] } })
  @ApiProblems(400, 401, 403, 429)
  async exchange(
    @Body() body: ExchangeCodeDto,
    @CurrentRequest() request: RequestMeta,
    @Req() raw: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokensDto | MfaChallengeDto> {
    if (body.cookie) this.cookie.assertSameSiteRequest(raw);
    const result = await this.signIn.exchange(body.code, body.verifier, request);
    if (result.kind === 'mfa')
      return { mfaRequired: true, challengeToken: result.challengeToken, expiresAt: result.expiresAt.toISOString() };
    return this.tokens.send(result.tokens, body.cookie === true, reply);
  }
}

/** A name that cannot be a provider's is a 404 before any lookup. */
export function knownName(name: string): string {
  if (!PROVIDER_NAME.test(name)) throw new NotFound(`No enabled sign-in provider is called "${name.slice(0, 40)}".`);
  return name;
}

/** This API's base URL as the caller reached it (behind a trusted proxy, as the proxy says). */
export function apiBaseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}
