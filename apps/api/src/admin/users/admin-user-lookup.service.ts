import { Injectable } from '@nestjs/common';
import { DEFAULT_LIMIT, toDate } from '@backlot/http';
import { AuditService } from '@backlot/security';
import { describeDevice } from '../../auth/sessions/device';
import { SessionsService } from '../../auth/sessions/sessions.service';
import { type AdminUserDetailDto, AdminUserDto, type AdminUserListQuery, type AdminUserPageDto } from '../../users/dto/admin-user.dto';
import { UserModerationService } from '../../users/user-moderation.service';
import type { AdminSessionDto } from './dto/admin-session.dto';

/** Reads for the users admin API: the users domain's view, plus session facts from auth and the audit log. */
@Injectable()
export class AdminUserLookupService {
  constructor(
    private readonly users: UserModerationService,
    private readonly sessions: SessionsService,
    private readonly audit: AuditService,
  ) {}

  async list(query: AdminUserListQuery): Promise<AdminUserPageDto> {
    const page = await this.users.list({
      ...query,
      createdFrom: toDate(query.createdFrom),
      createdTo: toDate(query.createdTo),
      limit: query.limit ?? DEFAULT_LIMIT,
    });
    return { ...page, items: page.items.map((user) => AdminUserDto.of(user)) };
  }

  async detail(id: string): Promise<AdminUserDetailDto> {
    const user = await this.users.get(id);
    const [sessions, signIn] = await Promise.all([
      this.sessions.list(id),
      this.audit.latest({ actorId: id, action: 'auth.session.created' }),
    ]);
    return { ...AdminUserDto.of(user), activeSessions: sessions.length, lastSignInAt: signIn?.at.toISOString() ?? null };
  }

  /** The user's live sessions, most recently used first; 404 for an unknown user. */
  async liveSessions(id: string): Promise<AdminSessionDto[]> {
    await this.users.get(id);
    return (await this.sessions.list(id)).map((session) => ({
      id: session.id,
      device: describeDevice(session.userAgent),
      userAgent: session.userAgent,
      ip: session.ip,
      createdAt: session.createdAt.toISOString(),
      lastUsedAt: session.lastUsedAt.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
    }));
  }
}
