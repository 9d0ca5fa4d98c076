import { Injectable } from '@nestjs/common';
import { PrismaService, type TransactionClient } from '@backlot/database';

/** Setup tokens live in `settings`, one row per token, keyed by the token's hash: no user owns them yet. */
const KEY_PREFIX = 'setup.token.';

function expiryOf(value: unknown): number {
  const expiresAt = (value as { expiresAt?: unknown } | null)?.expiresAt;
  return typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
}

/**
 * The hashes of the setup tokens handed out while no admin exists. Every instance that starts
 * without an admin adds one, so a token works on whichever instance a load balancer picks.
 */
@Injectable()
export class SetupTokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Stores a new token's hash and drops the expired ones. */
  async add(tokenHash: string, expiresAt: Date): Promise<void> {
    const rows = await this.prisma.setting.findMany({ where: { key: { startsWith: KEY_PREFIX } } });
    const expired = rows.filter((row) => !(expiryOf(row.value) > Date.now())).map((row) => row.key);
    if (expired.length > 0) await this.prisma.setting.deleteMany({ where: { key: { in: expired } } });
    await this.prisma.setting.create({ data: { key: `${KEY_PREFIX}${tokenHash}`, value: { expiresAt: expiresAt.toISOString() } } });
  }

  /** Once an admin exists, no token may be left to use. */
  async removeAll(): Promise<void> {
    await this.prisma.setting.deleteMany({ where: { key: { startsWith: KEY_PREFIX } } });
  }

  /**
   * Spends the token inside the caller's transaction: true when it is known and not expired.
   * Setup ends with it, so every other instance's token goes too.
   */
  async claim(tx: TransactionClient, tokenHash: string): Promise<boolean> {
    const key = `${KEY_PREFIX}${tokenHash}`;
    const row = await tx.setting.findUnique({ where: { key } });
    if (!row || !(expiryOf(row.value) > Date.now())) return false;
    // Deleted by whoever spends it: of two requests with one token, one deletes the row.
    if ((await tx.setting.deleteMany({ where: { key } })).count !== 1) return false;
    await tx.setting.deleteMany({ where: { key: { startsWith: KEY_PREFIX } } });
    return true;
  }
}
