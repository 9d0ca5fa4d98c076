import { Injectable } from '@nestjs/common';
import { DatabaseConnection } from '@backlot/database';

/** What the admin stats read of the database itself (counts come from the domains' services). */
@Injectable()
export class AdminStatsRepository {
  constructor(private readonly database: DatabaseConnection) {}

  get databaseKind(): 'embedded' | 'postgres' {
    return this.database.kind;
  }

  /** The database's size in bytes (PGlite answers pg_database_size too). */
  async databaseSize(): Promise<number> {
    const [row] = await this.database.query<{ size: string | number }>('SELECT pg_database_size(current_database()) AS size');
    return Number(row.size);
  }
}
