import { Injectable } from '@nestjs/common';
import { newId, PrismaService } from '@backlot/database';

export interface SignInFlowRow {
  id: string;
  provider: string;
  secrets: string;
  redirectUrl: string;
  linkUserId: string | null;
}

/** Sign-ins in progress at a provider, found by a hash of their `state`; each finishes at most once. */
@Injectable()
export class SignInFlowsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(flow: Omit<SignInFlowRow, 'id'> & { stateHash: string; expiresAt: Date }): Promise<void> {
    await this.prisma.signInFlow.create({ data: { id: newId(), ...flow } });
  }

  /** Marks the flow used and returns it, in one statement so two callbacks with one state cannot both finish it. */
  async take(stateHash: string): Promise<SignInFlowRow | null> {
    const [row] = await this.prisma.$queryRaw<SignInFlowRow[]>`
      UPDATE sign_in_flows SET used_at = now()
      WHERE state_hash = ${stateHash} AND used_at IS NULL AND expires_at > now()
      RETURNING id, provider, secrets, redirect_url AS "redirectUrl", link_user_id::text AS "linkUserId"`;
    return row ?? null;
  }

  /** Where an expired or spent flow wanted to go back to, so the SPA still hears what went wrong. */
  async redirectOf(stateHash: string): Promise<string | null> {
    const row = await this.prisma.signInFlow.findUnique({ where: { stateHash }, select: { redirectUrl: true } });
    return row?.redirectUrl ?? null;
  }

  async purgeBefore(before: Date): Promise<number> {
    const { count } = await this.prisma.signInFlow.deleteMany({ where: { expiresAt: { lt: before } } });
    return count;
  }
}
