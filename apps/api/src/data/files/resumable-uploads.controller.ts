import { applyDecorators, Controller, Delete, Head, Patch, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Readable } from 'node:stream';
import {
  ApiProblems,
  BadRequest,
  Conflict,
  Gone,
  NotFound,
  PayloadTooLarge,
  PreconditionFailed,
  UnsupportedMediaType,
} from '@backlot/http';
import { ApiKeyScope, CurrentPrincipal, type Principal } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RECORD_ETAG_HEADER, RECORD_FILE_HEADER, ResumableUploads } from './resumable-uploads';

const TUS_RESUMABLE = { name: 'Tus-Resumable', required: true, description: 'The tus protocol version: 1.0.0.' };
const UPLOAD_ID = { name: 'id', description: 'The upload, as the Location of its creation names it' };

/** What every tus route declares: who may call it (signed-in users, API keys with records:write) and the tus header. */
function TusRoute(summary: string, description: string): MethodDecorator {
  // 412: no or another Tus-Resumable version; 400: malformed tus headers.
  return applyDecorators(
    ApiKeyScope('records:write'),
    ApiOperation({ summary, description }),
    ApiHeader(TUS_RESUMABLE),
    ApiProblems(400, 412),
  );
}

/**
 * Resumable uploads over tus 1.0.0, mounted as Nest routes so the global guard, rate limits,
 * request ids and problem answers apply as on every route: the request is handed to
 * @tus/server as a web Request (its body streamed), and its Response is sent through Fastify.
 * OPTIONS is not a route: the app answers OPTIONS only as a CORS preflight, and the server's
 * tus capabilities are fixed and documented.
 */
@ApiTags('files')
@Controller('uploads')
export class ResumableUploadsController {
  constructor(private readonly uploads: ResumableUploads) {}

  @Post()
  @TusRoute(
    'Create a resumable upload for a record’s file field (tus creation; metadata: collection, record, field, filename, filetype, mode)',
    'Needs an access token or an API key with `records:write`. Before any byte is accepted, the record must be visible to the caller ' +
      '(404) and its update rule must let them change it (403), `field` must be a file field that `mode` fits (422), and `Upload-Length` ' +
      'must fit the field’s `maxSize`, `STORAGE_MAX_FILE_BYTES` and the caller’s quota (413). The upload belongs to its creator and ' +
      'expires `TUS_EXPIRY_SECONDS` after its creation.',
  )
  @ApiHeader({ name: 'Upload-Length', required: true, description: 'The file’s size in bytes.' })
  @ApiHeader({ name: 'Upload-Metadata', required: true, description: 'tus metadata: comma-separated `key base64(value)` pairs.' })
  @ApiResponse({ status: 201, description: 'Created; Location is the upload’s URL.' })
  @ApiProblems(403, 404, 413, 422)
  create(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.run(request, reply, principal);
  }

  @Head(':id')
  @ApiParam(UPLOAD_ID)
  @TusRoute(
    'The offset of a resumable upload (bytes received so far)',
    'Used to learn where to resume after a dropped connection. Only the upload’s creator may ask: anyone else gets the 404 of an unknown ' +
      'upload, and an expired upload is a 410.',
  )
  @ApiResponse({ status: 200, description: 'Upload-Offset and Upload-Length of the upload.' })
  @ApiProblems(404, 410)
  offset(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.run(request, reply, principal);
  }

  @Patch(':id')
  @ApiParam(UPLOAD_ID)
  @TusRoute(
    'Append bytes (application/offset+octet-stream) at Upload-Offset; the last ones store the file and attach it to the record',
    'Only the upload’s creator may send bytes (anyone else gets a 404), and `Upload-Offset` must equal the bytes already received (409 ' +
      'otherwise). The request that completes the upload checks the file as a multipart upload would (type 415, empty 422, quota 413) ' +
      'and attaches it to the record under the update rule, with a revision; if it is refused, neither the file nor the partial upload ' +
      'is kept.',
  )
  @ApiHeader({ name: 'Upload-Offset', required: true, description: 'Where these bytes start.' })
  @ApiResponse({
    status: 204,
    description: `Appended; on completion ${RECORD_ETAG_HEADER} and ${RECORD_FILE_HEADER} name the record version and stored file.`,
  })
  @ApiProblems(403, 404, 409, 410, 413, 415, 422, 503)
  append(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.run(request, reply, principal);
  }

  @Delete(':id')
  @ApiParam(UPLOAD_ID)
  @TusRoute(
    'Abandon a resumable upload (tus termination)',
    'Deletes the bytes received so far; the record is not changed. Only the upload’s creator may: anyone else gets the 404 of an unknown ' +
      'upload.',
  )
  @ApiResponse({ status: 204, description: 'Removed.' })
  @ApiProblems(404, 410)
  terminate(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.run(request, reply, principal);
  }

  private async run(request: FastifyRequest, reply: FastifyReply, principal: Principal): Promise<void> {
    const response = await this.uploads.handle(webRequest(request), principal);
    reply.status(response.status);
    response.headers.forEach((value, name) => {
      // Fastify frames the body itself, and the app's CORS settings (not tus's `*`) decide who may read it.
      if (name !== 'content-length' && name !== 'connection' && !name.startsWith('access-control-')) reply.header(name, value);
    });
    const body = await response.text();
    if (response.status >= 400) throw tusRefusal(response.status, body);
    await reply.send(body === '' ? undefined : body);
  }
}

/**
 * A tus protocol refusal (plain text from the library) as the domain error the app answers
 * with problem+json, like every other route; the tus headers set above stay on the answer.
 */
function tusRefusal(status: number, text: string): Error {
  const detail = text.trim() || `The upload request was refused (${status}).`;
  switch (status) {
    case 404:
      return new NotFound(detail);
    case 409:
      return new Conflict(detail);
    case 410:
      return new Gone(detail);
    case 412:
      return new PreconditionFailed(`${detail} Send Tus-Resumable: 1.0.0.`);
    case 413:
      return new PayloadTooLarge(detail);
    case 415:
      return new UnsupportedMediaType(detail);
    default:
      return status < 500 ? new BadRequest(detail) : new Error(`tus answered ${status}: ${detail}`);
  }
}

/** The Fastify request as tus takes it: a web Request whose body (PATCH, creation-with-upload) streams from the socket. */
function webRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) for (const item of [value ?? []].flat()) headers.append(name, item);
  const body = request.body instanceof Readable ? (Readable.toWeb(request.body) as ReadableStream<Uint8Array>) : undefined;
  return new Request(new URL(request.url, 'http://backlot.internal'), {
    method: request.method,
    headers,
    body,
    duplex: 'half',
  } as RequestInit);
}
