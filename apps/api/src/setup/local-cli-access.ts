import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, EMBEDDED_IN_MEMORY } from '@backlot/config';
import { Forbidden } from '@backlot/http';
import { AuditService, randomToken, requestMetaOf, safeEqual } from '@backlot/security';
import type { FastifyRequest } from 'fastify';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';

export const LOCAL_SECRET_HEADER = 'x-backlot-local-secret';

/** What a server on the embedded database writes into DATA_DIR/server.json (mode 0600) for the CLI. */
export interface LocalServer {
  pid: number;
  url: string;
  secret: string;
}

export function localServerFile(dataDir: string): string {
  return join(dataDir, 'server.json');
}

export function readLocalServer(dataDir: string): LocalServer | undefined {
  try {
    const server = JSON.parse(readFileSync(localServerFile(dataDir), 'utf8')) as Partial<LocalServer>;
    if (typeof server.url === 'string' && typeof server.secret === 'string' && Number.isInteger(server.pid)) return server as LocalServer;
  } catch {
    // no server has written it, or it is being replaced
  }
  return undefined;
}

/** The peer is this machine: a loopback address, or the very address the connection arrived on. */
export function isLocalPeer(remote: string | undefined, local: string | undefined): boolean {
  if (!remote) return false;
  const peer = withoutIpv4Mapping(remote);
  if (peer === '::1' || (isIP(peer) === 4 && peer.startsWith('127.'))) return true;
  return local !== undefined && peer === withoutIpv4Mapping(local);
}

function withoutIpv4Mapping(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** A proxy on the same machine relays outsiders from a loopback address; it says so in one of these. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'];

/**
 * The embedded database is open in one process, the server's, so a CLI command that needs it
 * (create-admin) asks the running server instead. The server publishes its address and a
 * secret made at each start in DATA_DIR/server.json, readable only by the user it runs as
 * (who could read the database files anyway); the CLI's routes demand that secret, from this
 * machine, not through a proxy.
 */
@Injectable()
export class LocalCliAccess implements OnApplicationShutdown {
  private secret?: string;
  private file?: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  publish(url: string): void {
    const { database, dataDir } = this.config;
    if (database.kind !== 'embedded' || database.dataDir === EMBEDDED_IN_MEMORY) return;
    const secret = randomToken(32);
    const file = localServerFile(dataDir);
    // Renamed into place, so the CLI never reads half a file.
    const partial = `${file}.${process.pid}.partial`;
    writeFileSync(partial, `${JSON.stringify({ pid: process.pid, url, secret } satisfies LocalServer)}\n`, { mode: 0o600 });
    renameSync(partial, file);
    this.secret = secret;
    this.file = file;
  }

  onApplicationShutdown(): void {
    if (this.file) rmSync(this.file, { force: true });
    this.secret = this.file = undefined;
  }

  /** Why `request` may not use the CLI's routes; undefined when it may. */
  refusal(request: FastifyRequest): string | undefined {
    if (!this.secret) return 'this server takes no CLI calls (it is not on an embedded database on disk): run the CLI command directly';
    const { remoteAddress, localAddress } = request.raw.socket;
    if (!isLocalPeer(remoteAddress, localAddress)) return 'callers on other machines are refused';
    if (FORWARDING_HEADERS.some((header) => request.headers[header] !== undefined)) return 'requests relayed by a proxy are refused';
    const given = request.headers[LOCAL_SECRET_HEADER];
    if (typeof given !== 'string' || !safeEqual(given, this.secret))
      return `the ${LOCAL_SECRET_HEADER} header is not the secret in server.json`;
    return undefined;
  }
}

/** Lets a request through to a CLI route only as LocalCliAccess allows; refusals are audited. */
@Injectable()
export class LocalCliGuard implements CanActivate {
  constructor(
    private readonly access: LocalCliAccess,
    private readonly audit: AuditService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const reason = this.access.refusal(request);
    if (reason === undefined) return true;
    await this.audit.record({
      action: 'access.denied',
      outcome: 'denied',
      actor: { type: 'anonymous' },
      request: requestMetaOf(request),
      details: { method: request.method, route: request.routeOptions?.url, reason },
    });
    throw new Forbidden(`This route is for the CLI on the server's machine: ${reason}.`);
  }
}
