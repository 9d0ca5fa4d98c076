import { Inject, Injectable, Logger } from '@nestjs/common';
import { CacheService, type CacheNamespace } from '@backlot/cache';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { BadRequest, Conflict, NotFound } from '@backlot/http';
import { AuditService, PrincipalChanges, randomToken, type RequestMeta, sha256 } from '@backlot/security';
import { type ApiKeyRow, ApiKeysRepository, type ApiKeyState } from './api-keys.repository';

export const API_KEY_PREFIX = 'blk_';
const KEY_SHAPE = /^blk_[A-Za-z0-9_-]{43}$/;
const MAX_ACTIVE_KEYS = 50;
// Writing last-used on every call would turn each read into a write; minute resolution is enough.
const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger('ApiKeys');
  private readonly cache: CacheNamespace;
  private readonly touchedAt = new Map<string, number>();
  private readonly stateTtlSeconds: number;

  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly audit: AuditService,
    private readonly principals: PrincipalChanges,
    cache: CacheService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.cache = cache.namespace('auth-api-keys');
    // Like session state: a lost eviction (a partition) must not keep a revoked key usable for long.
    this.stateTtlSeconds = config.auth.sessionCacheTtlSeconds;
  }

  /** Creates a key; the secret is in the result only this once (it is stored hashed). */
  async create(
    userId: string,
    input: { name: string; scopes: string[]; expiresAt?: Date },
    request: RequestMeta,
  ): Promise<ApiKeyRow & { key: string }> {
    if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) throw new BadRequest('expiresAt must be in the future.');
    if ((await this.keys.countActive(userId)) >= MAX_ACTIVE_KEYS)
      throw new Conflict(`At most ${MAX_ACTIVE_KEYS} active API keys; revoke one first.`);
    const key = `${API_KEY_PREFIX}${randomToken(32)}`;
    const row = await this.keys.create(userId, {
      name: input.name,
      prefix: key.slice(0, 12),
      keyHash: sha256(key),
      scopes: [...new Set(input.scopes)].sort(),
      expiresAt: input.expiresAt ?? null,
    });
    await this.audit.record({
      action: 'auth.api-key.created',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      target: { type: 'api-key', id: row.id },
      request,
      details: { scopes: row.scopes },
    });
    return { ...row, key };
  }

  list(userId: string): Promise<ApiKeyRow[]> {
    return this.keys.listActive(userId);
  }

  listForExport(userId: string) {
    return this.keys.listAll(userId);
  }

  async revoke(userId: string, id: string, request: RequestMeta): Promise<void> {
    const hash = await this.keys.revoke(userId, id);
    if (!hash) throw new NotFound('No such API key.');
    await this.cache.evict([hash]);
    await this.principals.announce(userId);
    await this.audit.record({
      action: 'auth.api-key.revoked',
      outcome: 'success',
      actor: { type: 'user', id: userId },
      target: { type: 'api-key', id },
      request,
    });
  }

  /** The key's live state, or null when it is unknown, revoked, expired or its owner is disabled. */
  async authenticate(key: string): Promise<ApiKeyState | null> {
    if (!KEY_SHAPE.test(key)) return null;
    const state = await this.cache.getOrSet<ApiKeyState | false>(
      sha256(key),
      async () => (await this.keys.state(sha256(key))) ?? false,
      this.stateTtlSeconds,
    );
    if (!state || !state.active || (state.expiresAt !== null && state.expiresAt <= Date.now())) return null;
    this.touch(state.id);
    return state;
  }

  async evictUser(userId: string): Promise<void> {
    await this.cache.evict(await this.keys.hashesOf(userId));
  }

  async revokeAll(userId: string): Promise<void> {
    await this.cache.evict(await this.keys.revokeAll(userId));
    await this.principals.announce(userId);
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.touchedAt.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touchedAt.set(id, now);
    this.keys.touch(id).catch((error: unknown) => this.logger.warn(`last-used not recorded: ${(error as Error).message}`));
  }
}
