import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { MEDIA_TYPES } from './media-types';

const IMPORT_ROUTE = /\/collections\/:name\/import$/;

/**
 * Lets NDJSON and CSV bodies through to the import route as the raw request stream: the
 * route reads them line by line instead of Fastify buffering them whole. Every other
 * route still answers 415 to these types, as it does to anything but JSON.
 *
 * No `bodyLimit` here: Fastify applies it only to bodies it reads itself; the import
 * counts the bytes it reads against IMPORT_MAX_BYTES.
 */
@Injectable()
export class ImportBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // Absent when the app runs without HTTP (an application context in the CLI).
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addContentTypeParser(Object.values(MEDIA_TYPES), (request: FastifyRequest, payload, done) => {
      if (request.method === 'POST' && IMPORT_ROUTE.test(request.routeOptions.url ?? '')) done(null, payload);
      else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
    });
  }
}
