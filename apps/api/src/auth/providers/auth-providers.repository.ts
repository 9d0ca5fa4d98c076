import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@backlot/database';

export interface StoredProvider {
  name: string;
  preset: string;
  displayName: string;
  issuer: string | null;
  clientId: string;
  /** Sealed (field encryption). */
  clientSecret: string | null;
  /** Apple: { teamId, keyId }. */
  options: unknown;
  scopes: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export type ProviderWrite = Omit<StoredProvider, 'createdAt' | 'updatedAt'>;

/** Sign-in providers added through the admin API. */
@Injectable()
export class AuthProvidersRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(): Promise<StoredProvider[]> {
    return this.prisma.authProvider.findMany({ orderBy: { name: 'asc' } });
  }

  find(name: string): Promise<StoredProvider | null> {
    return this.prisma.authProvider.findUnique({ where: { name } });
  }

  /** Null when the name is taken. */
  async create(provider: ProviderWrite): Promise<StoredProvider | null> {
    const [row] = await this.prisma.$queryRaw<{ name: string }[]>`
      INSERT INTO auth_providers (name, preset, display_name, issuer, client_id, client_secret, options, scopes, enabled)
      VALUES (${provider.name}, ${provider.preset}, ${provider.displayName}, ${provider.issuer}, ${provider.clientId},
        ${provider.clientSecret}, ${provider.options === null ? null : JSON.stringify(provider.options)}::jsonb, ${provider.scopes}, ${provider.enabled})
      ON CONFLICT (name) DO NOTHING RETURNING name`;
    return row ? this.find(row.name) : null;
  }

  async update(name: string, changes: Partial<ProviderWrite>): Promise<StoredProvider | null> {
    const { options, ...rest } = changes;
    const data = {
      ...rest,
      ...(options !== undefined && { options: options === null ? Prisma.DbNull : (options as Prisma.InputJsonValue) }),
    };
    const { count } = await this.prisma.authProvider.updateMany({ where: { name }, data });
    return count ? this.find(name) : null;
  }

  async remove(name: string): Promise<boolean> {
    const { count } = await this.prisma.authProvider.deleteMany({ where: { name } });
    return count === 1;
  }
}
