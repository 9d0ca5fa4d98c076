import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';

const CREATE_ROUTE = /\/collections\/:name\/records$/;
const CHANGE_ROUTE = /\/collections\/:name\/records\/:id$/;

/** Whether a route takes multipart/form-data: a record's create, replace and patch. */
export function takesMultipart(request: FastifyRequest): boolean {
  const url = request.routeOptions.url ?? '';
  if (request.method === 'POST') return CREATE_ROUTE.test(url);
  return (request.method === 'PUT' || request.method === 'PATCH') && CHANGE_ROUTE.test(url);
}

/**
 * Lets multipart/form-data through to the record writes as the raw request stream, which the
 * write reads part by part (files straight to storage, never whole in memory). Every other
 * route still answers 415 to it. Fastify's bodyLimit does not apply to a stream handed on;
 * the multipart reader enforces its own limits and each file's.
 */
@Injectable()
export class MultipartBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addContentTypeParser('multipart/form-data', (request: FastifyRequest, payload, done) => {
      if (takesMultipart(request)) done(null, payload);
      else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
    });
  }
}
