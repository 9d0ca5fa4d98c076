import { Gauge, type Registry } from 'prom-client';
import type { DatabaseConnection } from './connection/database-connection';

/** Pool gauges read at scrape time (no timers). The embedded database has no pool. */
export function registerDatabaseMetrics(registry: Registry, connection: DatabaseConnection): void {
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting requests, max)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = connection.poolStats();
      if (!stats) return;
      for (const [state, value] of Object.entries(stats)) this.set({ state }, value);
    },
  });
  new Gauge({
    name: 'db_embedded',
    help: '1 when running on the embedded PGlite database, 0 on PostgreSQL',
    registers: [registry],
    collect() {
      this.set(connection.kind === 'embedded' ? 1 : 0);
    },
  });
}
