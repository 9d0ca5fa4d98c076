import { Injectable } from '@nestjs/common';
import { isApiKeyScope, type Principal, PrincipalResolver } from '@backlot/security';
import { ApiKeysService } from './api-keys/api-keys.service';
import { SessionsService } from './sessions/sessions.service';

/** Answers the access guard from cached session and key state (see SessionsService.state). */
@Injectable()
export class AuthPrincipalResolver extends PrincipalResolver {
  constructor(
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
  ) {
    super();
  }

  async fromSession(userId: string, sessionId: string): Promise<Principal | null> {
    const state = await this.sessions.state(sessionId);
    if (!state || !state.active || state.userId !== userId || state.expiresAt <= Date.now()) return null;
    return { kind: 'session', userId, role: state.role, sessionId };
  }

  async fromApiKey(key: string): Promise<Principal | null> {
    const state = await this.apiKeys.authenticate(key);
    if (!state) return null;
    return { kind: 'api-key', userId: state.userId, role: state.role, apiKeyId: state.id, scopes: state.scopes.filter(isApiKeyScope) };
  }
}
