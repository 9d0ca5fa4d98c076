import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { DatabaseConnection } from '@backlot/database';

/** Where instances leave their markers (a dot name: the local driver's list() never sees it). */
export const MARKER_DIR = '.instances';
const HEARTBEAT_MS = 10_000;
/** A peer unseen for this long is taken for dead (three missed heartbeats). */
const LIVE_SECONDS = 30;
/**
 * How long a live peer's missing marker is looked for again before refusing: a network file
 * system (NFS) may serve a directory listing from its cache for a few seconds.
 */
const MARKER_GRACE_MS = 5_000;
/** Markers of instances gone this long are removed (a crash leaves its marker behind). */
const STALE_MARKER_MS = 10 * 60_000;

interface Peer {
  id: string;
  local_dir: string;
  host: string;
}

/** Several instances write file bytes to directories that are not one shared volume. */
export class LocalStorageNotShared extends Error {
  constructor(localDir: string, strangers: Peer[]) {
    const peers = strangers.map((peer) => `${peer.host} (STORAGE_LOCAL_DIR=${peer.local_dir})`).join(', ');
    super(
      `STORAGE_LOCAL_DIR (${localDir}) is not shared with the other running instance(s): ${peers}. ` +
        `Each would keep the files uploaded through it, and the others could not serve them. With several ` +
        `instances, mount one shared volume at STORAGE_LOCAL_DIR on every instance, or use STORAGE_DRIVER=s3.`,
    );
    this.name = 'LocalStorageNotShared';
  }
}

/**
 * Refuses to start an instance of the local driver whose directory is not the one its running
 * peers use. Each instance writes a marker named by its random id into `STORAGE_LOCAL_DIR/.instances`
 * and announces the id in the `storage_instances` table (heartbeat every 10 s); a starting
 * instance that sees a live peer whose marker is not in its own directory is on another disk.
 * The database is the one thing every instance surely shares. On the embedded database there is
 * only ever one instance, so nothing is checked.
 */
@Injectable()
export class LocalDirPeers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly instanceId = randomUUID();
  private readonly logger = new Logger('Storage');
  private readonly markers: string;
  private heartbeatTimer?: NodeJS.Timeout;
  private registered = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly db: DatabaseConnection,
  ) {
    this.markers = join(config.storage.localDir, MARKER_DIR);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.storage.driver !== 'local' || this.db.kind === 'embedded') return;
    // The marker first: a peer that sees this row must find the marker if it shares the directory.
    await mkdir(this.markers, { recursive: true, mode: 0o700 });
    await writeFile(join(this.markers, this.instanceId), `${hostname()} ${process.pid}\n`, { mode: 0o600 });
    await this.announce();
    this.registered = true;
    const strangers = await this.peersElsewhere();
    if (strangers.length > 0) {
      await this.withdraw();
      throw new LocalStorageNotShared(this.config.storage.localDir, strangers);
    }
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), HEARTBEAT_MS).unref();
    await this.forgetTheDead();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.withdraw().catch((error: Error) => this.logger.warn({ msg: 'could not withdraw the storage marker', error: error.message }));
  }

  /** Live peers whose marker this instance cannot see, after looking again for a few seconds. */
  private async peersElsewhere(): Promise<Peer[]> {
    const deadline = Date.now() + MARKER_GRACE_MS;
    for (;;) {
      const peers = await this.db.query<Peer>(
        `SELECT id::text, local_dir, host FROM storage_instances WHERE id <> $1 AND seen_at > now() - make_interval(secs => $2)`,
        [this.instanceId, LIVE_SECONDS],
      );
      const here = new Set(await readdir(this.markers));
      const strangers = peers.filter((peer) => !here.has(peer.id));
      if (strangers.length === 0 || Date.now() >= deadline) return strangers;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  private announce(): Promise<unknown> {
    return this.db.query(
      `INSERT INTO storage_instances (id, local_dir, host, seen_at) VALUES ($1, $2, $3, now())
        ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
      [this.instanceId, this.config.storage.localDir.slice(0, 1_000), hostname().slice(0, 255)],
    );
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.announce();
    } catch (error) {
      this.logger.warn({ msg: 'storage heartbeat failed', error: (error as Error).message });
    }
  }

  private async withdraw(): Promise<void> {
    if (!this.registered) return;
    this.registered = false;
    await rm(join(this.markers, this.instanceId), { force: true });
    await this.db.query(`DELETE FROM storage_instances WHERE id = $1`, [this.instanceId]);
  }

  /** Rows and markers of instances that stopped without withdrawing (a crash, kill -9). */
  private async forgetTheDead(): Promise<void> {
    await this.db.query(`DELETE FROM storage_instances WHERE seen_at < now() - interval '1 day'`);
    const live = new Set(
      (
        await this.db.query<{ id: string }>(`SELECT id::text FROM storage_instances WHERE seen_at > now() - make_interval(secs => $1)`, [
          LIVE_SECONDS,
        ])
      ).map((row) => row.id),
    );
    for (const name of await readdir(this.markers)) {
      if (live.has(name)) continue;
      // A marker newer than this may belong to a peer that is starting and has not announced itself yet.
      const marker = join(this.markers, name);
      const age = Date.now() - (await stat(marker).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > STALE_MARKER_MS) await rm(marker, { force: true });
    }
  }
}
