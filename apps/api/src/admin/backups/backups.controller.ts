import { Body, Delete, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { ApiProblems, PageQuery } from '@backlot/http';
import { actorOf, CurrentPrincipal, CurrentRequest, type Principal, type RequestMeta } from '@backlot/security';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AdminAction, AdminController } from '../admin-controller.decorator';
import { BackupsService } from './backups.service';
import { BackupManifestDto, BackupNameParam, BackupPageDto, CreateBackupDto, RestoreBackupDto, RestoreResultDto } from './dto/backup.dto';

const GZIP = 'application/gzip';

@AdminController('backups')
export class BackupsController {
  constructor(private readonly backups: BackupsService) {}

  @Post()
  @AdminAction('backups.create')
  @ApiOperation({
    summary:
      'Back up everything now (users, collections, records, history, audit log, settings, stored files); answers when the file is complete',
    description:
      'The bytes of every live stored file are included (read from the configured storage and checked against their sha256) ' +
      'unless `files` is false. A stored file whose bytes are missing or differ from its checksum fails the backup with 409, naming it.',
  })
  @ApiCreatedResponse({ type: BackupManifestDto })
  @ApiProblems(400, 409)
  async create(
    @Body() body: CreateBackupDto,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<BackupManifestDto> {
    const contents = { includeSessions: body?.includeSessions ?? false, includeFiles: body?.files ?? true };
    return BackupManifestDto.from(await this.backups.create(contents, actorOf(principal), request));
  }

  @Get()
  @AdminAction('backups.list')
  @ApiOperation({
    summary: 'The backups in BACKUP_DIR, newest first',
    description:
      'Admins only; audited as `admin.backups.list`. Lists the manifests in this instance’s BACKUP_DIR (instances that do not share the ' +
      'directory each see their own), in cursor pages; `count=true` adds `total`.',
  })
  @ApiOkResponse({ type: BackupPageDto })
  @ApiProblems(400)
  async list(@Query() query: PageQuery): Promise<BackupPageDto> {
    const page = await this.backups.list(query);
    return { ...page, items: page.items.map((manifest) => BackupManifestDto.from(manifest)) };
  }

  @Get(':name')
  @AdminAction('backups.view')
  @ApiOperation({
    summary: 'One backup’s manifest: schema level, row counts and checksums',
    description:
      'Admins only; audited as `admin.backups.view`. Read from the sidecar `<name>.json`, without opening the backup file. 404 when ' +
      'there is no such backup or its file is gone; 400 for a malformed name.',
  })
  @ApiOkResponse({ type: BackupManifestDto })
  @ApiProblems(400, 404)
  async view(@Param() { name }: BackupNameParam): Promise<BackupManifestDto> {
    return BackupManifestDto.from(await this.backups.get(name));
  }

  @Get(':name/download')
  @AdminAction('backups.download')
  @ApiOperation({
    summary: 'Download the backup file (gzip-compressed NDJSON), streamed',
    description:
      'Admins only; audited as `admin.backups.download`, recorded as a success once the stream is handed over. `Content-Length` is the ' +
      'file’s size on disk, and deleting the backup does not cut short a download under way. 404 when there is no such backup or its ' +
      'file is gone.',
  })
  @ApiProduces(GZIP)
  @ApiOkResponse({
    description: 'The file, as an attachment named `<name>.backup.gz`.',
    content: { [GZIP]: { schema: { type: 'string', format: 'binary' } } },
    headers: { 'Content-Disposition': { description: 'attachment; filename="<name>.backup.gz"', schema: { type: 'string' } } },
  })
  @ApiProblems(400, 404)
  async download(@Param() { name }: BackupNameParam, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { manifest, size, file } = await this.backups.open(name);
    reply
      .type(GZIP)
      .header('content-length', String(size))
      .header('content-disposition', `attachment; filename="${manifest.name}.backup.gz"`);
    if (request.method === 'HEAD') {
      file.destroy();
      // Fastify's HEAD route answers `content-length: 0` for no body, but keeps ours for a stream.
      void reply.send(Readable.from([]));
      return;
    }
    // Not awaited: the reply settles when the download ends.
    void reply.send(file);
  }

  @Delete(':name')
  @HttpCode(204)
  @AdminAction('backups.delete')
  @ApiOperation({
    summary: 'Delete a backup file and its manifest (refused while this instance restores it)',
    description:
      'Admins only; audited as `admin.backups.delete`. Any backup can be deleted, whatever its kind (manual, scheduled or pre-restore), ' +
      'and a download already under way still completes. The 409 covers a restore on this instance only; 404 for an unknown name.',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 404, 409)
  async remove(@Param() { name }: BackupNameParam): Promise<void> {
    await this.backups.remove(name);
  }

  @Post(':name/restore')
  @HttpCode(200)
  @AdminAction('backups.restore')
  @ApiOperation({
    summary: 'Replace the whole database with this backup (the current state is backed up first)',
    description:
      'Guarded: `confirm` must repeat the name. The file is verified first (checksums, completeness, schema level): a ' +
      'damaged, truncated or newer-schema backup is refused with 422 and nothing changes. The load is one transaction. ' +
      'Caches are flushed and field indexes rebuilt afterwards. A backup without sessions ends every session, the caller’s included. ' +
      'Stored files in the backup are written into the configured storage (any driver), each checked against its sha256; ' +
      'a backup without files keeps the stored_files rows and reports in `filesMissing` how many have no bytes in storage.',
  })
  @ApiOkResponse({ type: RestoreResultDto })
  @ApiProblems(400, 404, 409, 422)
  restore(
    @Param() { name }: BackupNameParam,
    @Body() body: RestoreBackupDto,
    @CurrentPrincipal() principal: Principal,
    @CurrentRequest() request: RequestMeta,
  ): Promise<RestoreResultDto> {
    return this.backups.restore(name, body.confirm, actorOf(principal), request);
  }
}
