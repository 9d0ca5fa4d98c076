import type { DependencyHealth } from '@backlot/observability';
import { type DatabaseConnection, describeError } from './connection/database-connection';

export async function checkDatabase(connection: DatabaseConnection): Promise<DependencyHealth> {
  try {
    await connection.query('SELECT 1');
    return { status: 'up', kind: connection.kind };
  } catch (error) {
    return { status: 'down', kind: connection.kind, error: describeError(error) };
  }
}
