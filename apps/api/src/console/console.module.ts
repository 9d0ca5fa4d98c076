import { Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '@backlot/config';
import { NotFound, sendProblem, ServiceUnavailable } from '@backlot/http';
import { type ConsoleFile, readConsoleFiles } from './console-files';

export const CONSOLE_PATH = '/_/';

/**
 * Scripts and styles from this origin only, nothing inline, calls to this API only, never in a
 * frame: record values shown in the console are attacker-controlled text, and the policy is the
 * second wall behind rendering them as text.
 */
const HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; " +
    "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'referrer-policy': 'same-origin',
};

/** The admin console (apps/console), served by the API itself under /_/: one origin, no CDN. */
@Module({})
export class ConsoleModule implements OnModuleInit {
  private readonly logger = new Logger('Console');

  constructor(
    private readonly http: HttpAdapterHost,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const files = readConsoleFiles(this.config.consoleDir);
    if (!files)
      this.logger.warn({ msg: 'the console is not built: /_/ answers 503 until `npm run build` has run', dir: this.config.consoleDir });
    const fastify: FastifyInstance = this.http.httpAdapter.getInstance();
    const serve = (request: FastifyRequest, reply: FastifyReply, path: string) => {
      if (!files)
        return sendProblem(new ServiceUnavailable('The console is not built on this server: run `npm run build`.'), request, reply);
      const file = files.get(path);
      // Any other path under /_/ is a page of the app: its index.html, which routes in the browser.
      if (!file && path.startsWith('assets/')) return sendProblem(new NotFound('No such console file.'), request, reply);
      return send(reply, file ?? files.get('index.html')!);
    };
    fastify.get(CONSOLE_PATH, (request, reply) => serve(request, reply, 'index.html'));
    fastify.get(`${CONSOLE_PATH}*`, (request, reply) => serve(request, reply, (request.params as { '*': string })['*']));
    fastify.get('/_', (_request, reply) => reply.redirect(CONSOLE_PATH, 301));
  }
}

function send(reply: FastifyReply, file: ConsoleFile): FastifyReply {
  return reply
    .headers(HEADERS)
    .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .type(file.type)
    .send(file.body);
}
