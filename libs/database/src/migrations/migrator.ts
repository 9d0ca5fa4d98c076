import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { DatabaseConnection } from '../connection/database-connection';
import { migrationNames, MIGRATION_NAME, readMigrations, writeMigration } from './migrations-dir';
import { NO_SCHEMA_FILTER, openSchemaEngine, type SchemaFile } from './schema-engine';

/** Arbitrary but fixed: serialises migrations across instances started at the same time. */
const MIGRATION_LOCK_ID = 7_206_202_611;

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  failed: string[];
  /** Applied in the database but missing from the migrations folder. */
  unknown: string[];
  /** The schema describes changes no migration contains (create one with db:migrate:create). */
  schemaDrift: boolean;
}

interface AppliedRow {
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/**
 * Applies, creates and inspects migrations with Prisma's WASM schema engine (the native
 * engine cannot be downloaded offline). Applied migrations are recorded in
 * `_prisma_migrations` exactly as `prisma migrate deploy` would record them.
 */
export class Migrator {
  constructor(
    private readonly connection: DatabaseConnection,
    private readonly migrationsDir: string,
    private readonly schemaPath: string,
  ) {}

  async apply(): Promise<string[]> {
    const migrations = readMigrations(this.migrationsDir);
    // Loading the WASM engine costs seconds and tens of MB that stay resident: skip it on
    // the usual start where every migration is already applied.
    if (!(await this.hasPending(migrationNames(migrations)))) return [];
    return this.withMigrationLock(() =>
      this.connection.withMigrationAdapter((factory) =>
        withEngine(factory, this.schemaPath, async (engine) => {
          const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList: migrations, filters: NO_SCHEMA_FILTER });
          return appliedMigrationNames;
        }),
      ),
    );
  }

  /** Where the database stands against the migrations folder, and whether the schema has changes no migration holds. */
  async status(): Promise<MigrationStatus> {
    return { ...(await this.history()), schemaDrift: await this.schemaDrift() };
  }

  /** Where the database stands against the migrations folder (cheap: one query). */
  async history(): Promise<Omit<MigrationStatus, 'schemaDrift'>> {
    const local = migrationNames(readMigrations(this.migrationsDir));
    const rows = await this.appliedRows();
    const finished = rows.filter((row) => row.finished_at && !row.rolled_back_at).map((row) => row.migration_name);
    return {
      applied: finished.filter((name) => local.includes(name)),
      pending: local.filter((name) => !finished.includes(name)),
      failed: rows.filter((row) => !row.finished_at && !row.rolled_back_at).map((row) => row.migration_name),
      unknown: finished.filter((name) => !local.includes(name)),
    };
  }

  /**
   * Whether schema.prisma has changes no migration holds. It depends on the files only, not on
   * the database, and replays every migration into a scratch database: seconds, not milliseconds.
   */
  async schemaDrift(): Promise<boolean> {
    return (await diffSchemaAgainstMigrations(this.migrationsDir, this.schemaPath)) !== undefined;
  }

  private async hasPending(local: string[]): Promise<boolean> {
    const rows = await this.appliedRows();
    const finished = new Set(rows.filter((row) => row.finished_at && !row.rolled_back_at).map((row) => row.migration_name));
    return local.some((name) => !finished.has(name)) || rows.some((row) => !row.finished_at && !row.rolled_back_at);
  }

  private async appliedRows(): Promise<AppliedRow[]> {
    const [{ exists }] = await this.connection.query<{ exists: boolean }>("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS exists");
    if (!exists) return [];
    return this.connection.query<AppliedRow>(
      'SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY started_at',
    );
  }

  private withMigrationLock<T>(work: () => Promise<T>): Promise<T> {
    return this.connection.withAdvisoryLock(MIGRATION_LOCK_ID, work);
  }
}

/** Writes a migration holding the schema's changes since the last migration; undefined when there are none. */
export async function createMigration(
  migrationsDir: string,
  schemaPath: string,
  name: string,
  now = new Date(),
): Promise<{ folder: string; script: string } | undefined> {
  if (!MIGRATION_NAME.test(`00000000000000_${name}`)) {
    throw new Error(`Migration name "${name}" must be lower-case letters, digits and underscores.`);
  }
  const script = await diffSchemaAgainstMigrations(migrationsDir, schemaPath);
  if (script === undefined) return undefined;
  return { folder: writeMigration(migrationsDir, name, script, now), script };
}

/**
 * The WASM engine cannot create a PostgreSQL shadow database, so the migration history is
 * replayed into a throw-away in-memory PGlite and the schema is diffed against that.
 */
async function diffSchemaAgainstMigrations(migrationsDir: string, schemaPath: string): Promise<string | undefined> {
  const scratch = new PGlite();
  try {
    return await withEngine(new PrismaPGlite(scratch), schemaPath, async (engine) => {
      await engine.applyMigrations({ migrationsList: readMigrations(migrationsDir), filters: NO_SCHEMA_FILTER });
      const schema = schemaFile(schemaPath);
      const { exitCode, stdout } = await engine.diff({
        from: { tag: 'schemaDatasource', files: [schema], configDir: dirname(schemaPath) },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: true,
        filters: NO_SCHEMA_FILTER,
      });
      return exitCode === 2 && stdout ? stdout : undefined;
    });
  } finally {
    await scratch.close();
  }
}

async function withEngine<T>(
  factory: SqlMigrationAwareDriverAdapterFactory,
  schemaPath: string,
  work: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  const engine = await openSchemaEngine(factory, schemaFile(schemaPath));
  try {
    return await work(engine);
  } finally {
    engine.free();
  }
}

function schemaFile(path: string): SchemaFile {
  return { path, content: readFileSync(path, 'utf8') };
}
