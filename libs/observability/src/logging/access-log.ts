import type { DestinationStream } from 'pino';

export interface AccessLogEntry {
  reqId: string;
  method: string;
  route: string;
  url: string;
  statusCode: number;
  ms: number;
  ip: string;
}

/**
 * One JSON line per request, in the same shape as the pino lines around it. It is
 * written directly rather than through pino: every field is chosen here (the URL's
 * sensitive query values are removed by the caller), so redaction and generic
 * serialisation would only add cost to every request.
 */
export class AccessLog {
  private lastMs = 0;
  private lastIso = '';

  constructor(
    private readonly destination: DestinationStream,
    readonly enabled: boolean,
  ) {}

  write(entry: AccessLogEntry): void {
    if (!this.enabled) return;
    this.destination.write(
      `{"level":"info","time":"${this.now()}","service":"backlot","reqId":${JSON.stringify(entry.reqId)},"method":${JSON.stringify(entry.method)},` +
        `"route":${JSON.stringify(entry.route)},"url":${JSON.stringify(entry.url)},"statusCode":${entry.statusCode},"ms":${entry.ms},` +
        `"ip":${JSON.stringify(entry.ip)},"msg":"request completed"}\n`,
    );
  }

  /** Many requests finish within the same millisecond; format its timestamp once. */
  private now(): string {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }
}
