import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';

const FORM = 'application/x-www-form-urlencoded';
/** A callback carries a code, a state, an ID token and Apple's user JSON: far below this. */
const FORM_LIMIT_BYTES = 64 * 1024;

/** Whether a route takes a form body: only a provider's form_post callback. */
function takesForm(request: FastifyRequest): boolean {
  return request.method === 'POST' && request.routeOptions.url === '/api/v1/auth/providers/:name/callback';
}

/**
 * Lets a form body through, as text, to the one route that needs it: a provider answering with
 * `response_mode=form_post` (Apple) posts its answer to the callback. Every other route still
 * answers 415 to a form.
 */
@Injectable()
export class FormPostBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (request, body, done) => {
      if (takesForm(request)) done(null, body);
      else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
    });
  }
}
