import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { MultipartBody } from './record-files';

/** A record write's body: the parsed JSON, or the unread multipart stream (MultipartBody). */
export const RecordBody = createParamDecorator((_: unknown, context: ExecutionContext): unknown => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  if (request.headers['content-type']?.toLowerCase().startsWith('multipart/form-data'))
    return new MultipartBody(request.body as Readable, request.headers);
  return request.body;
});
