import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { AuditService, Authenticated, CurrentPrincipal, CurrentRequest, type Principal, type RequestMeta } from '@backlot/security';
import { RevokedCountDto, SessionDto } from '../dto/session.dto';
import { describeDevice } from './device';
import { SessionsService } from './sessions.service';

/** The signed-in user's own sessions; other users' sessions are invisible (404). */
@ApiTags('auth')
@Controller('auth/sessions')
@Authenticated()
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Active sessions (devices) of the signed-in user',
    description:
      'Access token only (API keys get 403). Sessions neither revoked nor expired, most recently used first; `current` marks ' +
      'the session of the calling access token.',
  })
  @ApiOkResponse({ type: [SessionDto] })
  async list(@CurrentPrincipal() principal: Principal): Promise<SessionDto[]> {
    const current = principal.kind === 'session' ? principal.sessionId : undefined;
    return (await this.sessions.list(principal.userId)).map((session) => ({
      id: session.id,
      device: describeDevice(session.userAgent),
      userAgent: session.userAgent,
      ip: session.ip,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      current: session.id === current,
    }));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke one session; its access and refresh tokens stop working at once',
    description:
      'Access token only (API keys get 403). 404 when the id is not an unrevoked session of the caller, 400 when it is not a ' +
      'UUID; the calling session may be revoked too. Audited as `auth.session.revoked`.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentRequest() request: RequestMeta,
  ): Promise<void> {
    await this.sessions.revokeOne(principal.userId, id, 'revoked-by-user');
    await this.audit.record({
      action: 'auth.session.revoked',
      outcome: 'success',
      actor: { type: 'user', id: principal.userId },
      target: { type: 'session', id },
      request,
    });
  }

  @Post('revoke-others')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke every session except the current one',
    description:
      'Access token only (API keys get 403). Answers how many sessions were revoked; their tokens stop working at once, and ' +
      '`auth.session.revoked-others` is audited with the count.',
  })
  @ApiOkResponse({ type: RevokedCountDto })
  async revokeOthers(@CurrentPrincipal() principal: Principal, @CurrentRequest() request: RequestMeta): Promise<RevokedCountDto> {
    const keep = principal.kind === 'session' ? principal.sessionId : undefined;
    const revoked = await this.sessions.revokeAll(principal.userId, 'revoked-by-user', keep);
    await this.audit.record({
      action: 'auth.session.revoked-others',
      outcome: 'success',
      actor: { type: 'user', id: principal.userId },
      request,
      details: { revoked },
    });
    return { revoked };
  }
}
