import { Body, Controller, Get, Headers, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '@backlot/http';
import { Authenticated, CurrentPrincipal, OptionalAuthentication, OptionalPrincipal, type Principal } from '@backlot/security';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { CollectionCatalog } from '../collections/collection-catalog';
import { CollectionParam } from '../collections/collection-param';
import type { CollectionSchema } from '../collections/collection-schema';
import { RecordId } from '../records/record-params';
import { DownloadQuery, FileTokenDto, FileTokenRequestDto } from './dto/files.dto';
import { FileDownloads } from './file-downloads';
import { FILE_SECURITY_HEADERS, contentDisposition, matchesEtag, requestedRange } from './file-response';
import { StoredNameParam } from './stored-name-param';

const YEAR_SECONDS = 365 * 24 * 3600;

@ApiTags('files')
@Controller('files')
export class FilesController {
  constructor(
    private readonly downloads: FileDownloads,
    private readonly catalog: CollectionCatalog,
  ) {}

  @Post('token')
  @Authenticated({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'A short-lived token to download a record’s protected files where no Authorization header can be sent (img src, links)',
    description:
      'For sessions only: an API key is refused with 400 and downloads with its Authorization header. The token is bound to the caller’s ' +
      'session, to the record (or, with `name`, one file) and to `FILES_TOKEN_TTL_SECONDS` (300 by default), and the view rule is ' +
      'checked again on each use. A record the caller may not view, or a `name` it does not hold, is a 404.',
  })
  @ApiCreatedResponse({ type: FileTokenDto })
  @ApiProblems(400, 401, 404)
  async token(@Body() body: FileTokenRequestDto, @CurrentPrincipal() principal: Principal): Promise<FileTokenDto> {
    const collection = await this.catalog.get(body.collection);
    const { token, expiresAt } = await this.downloads.grant(collection, principal, body.record.toLowerCase(), body.name);
    return { token, expiresAt: expiresAt.toISOString() };
  }

  @Get(':name/:id/:file')
  @ApiParam({ name: 'name', description: 'The collection', example: 'posts' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The record' })
  @ApiParam({ name: 'file', description: 'The file’s stored name, as the record shows it', example: 'photo_k3j9x0a2mq.jpg' })
  @OptionalAuthentication({ apiKeyScope: 'records:read' })
  @ApiOperation({
    summary: 'Download a file (or a declared thumbnail size of an image) under the record’s view rule; Range, ETag, HEAD',
    description:
      'A `protected` field’s files need an Authorization header or a `?token=` from `POST /files/token` whatever the view rule (401 ' +
      'without), and a hidden field’s files are for admins only. A record the caller may not view, a trashed record or a name the record ' +
      'does not hold is a 404; an undeclared `thumb` size, or a `thumb` of a file other than JPEG, PNG, WebP, GIF or AVIF, is a 400, and ' +
      'a full thumbnail queue a 503.',
  })
  @ApiHeader({ name: 'Range', required: false, description: 'One byte range, e.g. bytes=0-1023.' })
  @ApiHeader({ name: 'If-None-Match', required: false })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ description: 'The bytes, typed as they were recognised at upload.', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 206, description: 'The requested range.', schema: { type: 'string', format: 'binary' } })
  @ApiResponse({ status: 302, description: 'With S3 presigned downloads on: the bytes are at Location for a few minutes.' })
  @ApiResponse({ status: 304, description: 'Not modified (If-None-Match).' })
  @ApiProblems(400, 401, 404, 416, 422, 503)
  async download(
    @CollectionParam() collection: CollectionSchema,
    @RecordId() id: string,
    @StoredNameParam() name: string,
    @Query() query: DownloadQuery,
    @Headers('range') range: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @OptionalPrincipal() principal: Principal | null,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const file = await this.downloads.locate(collection, principal, { recordId: id, name, thumb: query.thumb, token: query.token });
    const disposition = contentDisposition(file.type, file.fileName, query.download !== undefined);
    reply
      .headers(FILE_SECURITY_HEADERS)
      .header('cache-control', file.shared ? `public, max-age=${YEAR_SECONDS}, immutable` : 'private, max-age=3600')
      .header('etag', file.etag)
      .header('accept-ranges', 'bytes')
      .header('vary', 'Authorization');
    if (matchesEtag(ifNoneMatch, file.etag)) return void reply.status(304).send();
    if (this.downloads.presignedDownloads && reply.request.method === 'GET') {
      const url = await this.downloads.presignedUrl(file, disposition);
      return void reply.status(302).header('location', url).send();
    }
    reply.header('content-type', file.type).header('content-disposition', disposition);
    const wanted = requestedRange(range, file.size);
    if (wanted === 'unsatisfiable') {
      return void reply
        .status(416)
        .header('content-range', `bytes */${file.size}`)
        .header('content-type', 'application/problem+json')
        .send({
          type: 'about:blank',
          title: 'Range Not Satisfiable',
          status: 416,
          detail: `The file has ${file.size} bytes; the range ${range} is outside them.`,
        });
    }
    if (wanted) reply.status(206).header('content-range', `bytes ${wanted.start}-${wanted.end}/${file.size}`);
    reply.header('content-length', wanted ? wanted.end - wanted.start + 1 : file.size);
    // Fastify answers HEAD through the GET route; an empty stream keeps the Content-Length set above.
    if (reply.request.method === 'HEAD') return void reply.send(Readable.from([]));
    reply.send(await this.downloads.open(file, wanted ?? { start: 0, end: file.size - 1 }));
  }
}
