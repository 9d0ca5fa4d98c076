import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';

/** The media type of tus's upload bytes. */
export const TUS_BYTES = 'application/offset+octet-stream';
const UPLOAD_ROUTE = /\/uploads$/;
const UPLOAD_BYTES_ROUTE = /\/uploads\/:id$/;

/** Whether a route takes tus bytes: the PATCH of an upload, and its creation (creation-with-upload). */
function takesUploadBytes(request: FastifyRequest): boolean {
  const url = request.routeOptions.url ?? '';
  return (request.method === 'POST' && UPLOAD_ROUTE.test(url)) || (request.method === 'PATCH' && UPLOAD_BYTES_ROUTE.test(url));
}

/**
 * Hands application/offset+octet-stream bodies to the resumable uploads as the raw stream (tus
 * writes it to its store as it arrives, never whole in memory); every other route answers 415
 * to it. Fastify's bodyLimit does not apply to a stream handed on: tus limits a PATCH to what
 * the upload still lacks.
 */
@Injectable()
export class ResumableBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addContentTypeParser(TUS_BYTES, (request: FastifyRequest, payload, done) => {
      if (takesUploadBytes(request)) done(null, payload);
      else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined);
    });
  }
}
