import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems, Conflict, NotFound } from '@backlot/http';
import { AuditService, Authenticated, CurrentPrincipal, CurrentRequest, type Principal, type RequestMeta } from '@backlot/security';
import type { FastifyRequest } from 'fastify';
import { IdentitiesRepository } from './identities.repository';
import { ProviderSignInService } from './provider-sign-in.service';
import { apiBaseUrl, knownName } from './providers.controller';
import { ConfirmLinkDto, IdentityDto, LinkProviderDto, ProviderUrlDto } from './providers.dto';

/** The signed-in user's provider identities: list, link another, unlink one. */
@ApiTags('users')
@Controller('users/me/identities')
@Authenticated()
export class IdentitiesController {
  constructor(
    private readonly identities: IdentitiesRepository,
    private readonly signIn: ProviderSignInService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The sign-in providers linked to this account', description: 'Access token only (API keys get 403).' })
  @ApiOkResponse({ type: [IdentityDto] })
  async list(@CurrentPrincipal() principal: Principal): Promise<IdentityDto[]> {
    return (await this.identities.listForUser(principal.userId)).map((identity) => IdentityDto.from(identity));
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Start linking a provider to this account: answers the URL to send the browser to',
    description:
      'Access token only. The browser comes back to `redirect` with `?link_code=`, which this user confirms with POST ' +
      '/users/me/identities/confirm and the verifier of `challenge`; nothing is linked before (a link URL sent to someone else ' +
      'cannot attach their provider account to yours). `redirect` must be on the OAUTH_REDIRECT_URLS allow-list (400).',
  })
  @ApiOkResponse({ type: ProviderUrlDto })
  @ApiProblems(400, 404, 503)
  async link(@Body() body: LinkProviderDto, @CurrentPrincipal() principal: Principal, @Req() raw: FastifyRequest): Promise<ProviderUrlDto> {
    const start = { redirect: body.redirect, challenge: body.challenge, apiBaseUrl: apiBaseUrl(raw), linkUserId: principal.userId };
    return { url: await this.signIn.start(knownName(body.provider), start) };
  }

  @Post('confirm')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Finish linking: the `link_code` the page came back with, and the verifier',
    description:
      'Access token only, of the user who started the link (401 for anyone else, a wrong verifier, or a used or expired code). ' +
      '409 when that provider account already belongs to another account.',
  })
  @ApiCreatedResponse({ type: IdentityDto })
  @ApiProblems(400, 401, 409)
  async confirm(
    @Body() body: ConfirmLinkDto,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<IdentityDto> {
    return IdentityDto.from(await this.signIn.confirmLink(principal.userId, body.code, body.verifier, request));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Unlink a provider from this account',
    description:
      'Access token only. 404 for an identity that is not yours; 409 when it is the last way to sign in (no password, no other provider).',
  })
  @ApiNoContentResponse()
  @ApiProblems(404, 409)
  async unlink(
    @Param('id', new ParseUUIDPipe({ version: '7' })) id: string,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    const outcome = await this.identities.unlink(principal.userId, id);
    if (outcome === 'not-found') throw new NotFound('No such identity on this account.');
    if (outcome === 'last')
      throw new Conflict(
        'This is the last way to sign in to this account; set a password (password reset) or link another provider first.',
      );
    await this.audit.record({
      action: 'auth.identity.unlinked',
      outcome: 'success',
      actor: { type: 'user', id: principal.userId },
      request,
      target: { type: 'identity', id },
    });
  }
}
