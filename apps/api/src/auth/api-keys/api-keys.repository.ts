import { Injectable } from '@nestjs/common';
import { newId, PrismaService } from '@backlot/database';
import type { Role } from '@backlot/security';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}

/** What authenticating with a key needs, cached per key hash. */
export interface ApiKeyState {
  id: string;
  userId: string;
  role: Role;
  scopes: string[];
  expiresAt: number | null;
  active: boolean;
}

const PUBLIC_FIELDS = { id: true, name: true, prefix: true, scopes: true, expiresAt: true, lastUsedAt: true, createdAt: true } as const;

/** API keys; every user-facing method takes the owner's id, so nobody reaches another user's keys. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(
    userId: string,
    data: { name: string; prefix: string; keyHash: string; scopes: string[]; expiresAt: Date | null },
  ): Promise<ApiKeyRow> {
    return this.prisma.apiKey.create({ data: { id: newId(), userId, ...data }, select: PUBLIC_FIELDS });
  }

  listActive(userId: string): Promise<ApiKeyRow[]> {
    return this.prisma.apiKey.findMany({ where: { userId, revokedAt: null }, orderBy: { createdAt: 'desc' }, select: PUBLIC_FIELDS });
  }

  /** Every key of the user, revoked ones included (the data export); never the hash. */
  listAll(userId: string) {
    return this.prisma.apiKey.findMany({ where: { userId }, orderBy: { createdAt: 'asc' }, select: { ...PUBLIC_FIELDS, revokedAt: true } });
  }

  countActive(userId: string): Promise<number> {
    return this.prisma.apiKey.count({ where: { userId, revokedAt: null } });
  }

  /** Revokes the owner's key; returns its hash (to evict it from the cache) or null if there is no such key. */
  async revoke(userId: string, id: string): Promise<string | null> {
    const key = await this.prisma.apiKey.findFirst({ where: { id, userId, revokedAt: null }, select: { keyHash: true } });
    if (!key) return null;
    await this.prisma.apiKey.updateMany({ where: { id, userId }, data: { revokedAt: new Date() } });
    return key.keyHash;
  }

  /** Revokes every key of the user (account deleted); returns all their hashes for eviction. */
  async revokeAll(userId: string): Promise<string[]> {
    await this.prisma.apiKey.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
    return this.hashesOf(userId);
  }

  async state(keyHash: string): Promise<ApiKeyState | null> {
    const row = await this.prisma.apiKey.findUnique({
      where: { keyHash },
      select: {
        id: true,
        userId: true,
        scopes: true,
        expiresAt: true,
        revokedAt: true,
        user: { select: { role: true, disabledAt: true } },
      },
    });
    if (!row) return null;
    return {
      id: row.id,
      userId: row.userId,
      role: row.user.role,
      scopes: row.scopes,
      expiresAt: row.expiresAt?.getTime() ?? null,
      active: row.revokedAt === null && row.user.disabledAt === null,
    };
  }

  async touch(id: string): Promise<void> {
    await this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: new Date() } });
  }

  async hashesOf(userId: string): Promise<string[]> {
    return (await this.prisma.apiKey.findMany({ where: { userId }, select: { keyHash: true } })).map((k) => k.keyHash);
  }
}
