import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BACKUP_KINDS, BACKUP_NAME, type BackupKind, type BackupManifest, type DatabaseKind } from '@backlot/backup';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const NAME_EXAMPLE = 'backlot-20261122T101500Z-manual-1a2b3c4d';
const ROW_COUNTS = {
  type: 'object',
  additionalProperties: { type: 'integer', minimum: 0 },
  example: { users: 12, records: 4_200 },
} as const;

export class BackupNameParam {
  @ApiProperty({ example: NAME_EXAMPLE, pattern: BACKUP_NAME.source })
  @IsString()
  @MaxLength(100)
  @Matches(BACKUP_NAME, { message: `name must be a backup name such as ${NAME_EXAMPLE}` })
  name!: string;
}

export class CreateBackupDto {
  @ApiPropertyOptional({
    default: false,
    description: 'Include sessions and refresh tokens (restoring a backup without them signs everyone out).',
  })
  @IsOptional()
  @IsBoolean()
  includeSessions?: boolean;

  @ApiPropertyOptional({
    default: true,
    description: 'Include the bytes of every live stored file (false: only their rows; restoring it needs the bytes still in storage).',
  })
  @IsOptional()
  @IsBoolean()
  files?: boolean;
}

export class BackupFilesDto {
  @ApiProperty({ example: 42, description: 'Stored files in the backup.' }) count!: number;
  @ApiProperty({ example: 10_485_760, description: 'Their bytes in total (before compression).' }) bytes!: number;
}

export class RestoreBackupDto {
  @ApiProperty({ example: NAME_EXAMPLE, description: 'The backup’s name again: a restore replaces everything, so it must be meant.' })
  @IsString()
  @MaxLength(100)
  confirm!: string;
}

/** A backup as its manifest describes it: what it holds and how to check it. */
export class BackupManifestDto {
  @ApiProperty({ example: NAME_EXAMPLE }) name!: string;
  @ApiProperty({ enum: BACKUP_KINDS, description: 'scheduled ones are pruned to BACKUP_KEEP; manual and pre-restore ones are kept.' })
  kind!: BackupKind;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ example: '0.1.0', description: 'Backlot version that wrote it.' }) appVersion!: string;
  @ApiProperty({ example: 1 }) formatVersion!: number;
  @ApiProperty({ enum: ['embedded', 'postgres'], description: 'Database it was taken from (restores into either).' })
  source!: DatabaseKind;
  @ApiProperty({ type: String, nullable: true, example: '20261122093356_jobs', description: 'Last migration applied to the source.' })
  migrationLevel!: string | null;
  @ApiProperty({ type: [String], description: 'Every migration applied to the source, oldest first.' }) migrations!: string[];
  @ApiProperty() includesSessions!: boolean;
  @ApiProperty({
    description: 'Whether it holds the bytes of the stored files (false for a backup made with files: false, or before format 2).',
  })
  includesFiles!: boolean;
  @ApiProperty({ type: BackupFilesDto }) files!: BackupFilesDto;
  @ApiProperty({ ...ROW_COUNTS, description: 'Rows per table.' }) counts!: Record<string, number>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'sha256 of each table’s rows.' })
  checksums!: Record<string, string>;
  @ApiProperty({ description: 'sha256 of the file.', example: 'a3f…' }) sha256!: string;
  @ApiProperty({ description: 'File size in bytes.', example: 482_113 }) size!: number;

  static from(manifest: BackupManifest): BackupManifestDto {
    return {
      name: manifest.name,
      kind: manifest.kind,
      createdAt: manifest.createdAt,
      appVersion: manifest.appVersion,
      formatVersion: manifest.formatVersion,
      source: manifest.source,
      migrationLevel: manifest.migrations.at(-1) ?? null,
      migrations: manifest.migrations,
      includesSessions: manifest.includesSessions,
      includesFiles: manifest.includesFiles,
      files: manifest.files,
      counts: manifest.counts,
      checksums: manifest.checksums,
      sha256: manifest.sha256,
      size: manifest.size,
    };
  }
}

export class BackupPageDto {
  @ApiProperty({ type: [BackupManifestDto] }) items!: BackupManifestDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
  @ApiPropertyOptional({ description: 'Number of backups (with count=true).' }) total?: number;
}

export class RestoreResultDto {
  @ApiProperty({ example: NAME_EXAMPLE, description: 'The backup now loaded.' }) restored!: string;
  @ApiProperty({ example: 'backlot-20261122T101612Z-pre-restore-9f8e7d6c', description: 'Backup of the state just before the restore.' })
  preRestoreBackup!: string;
  @ApiProperty({ ...ROW_COUNTS, description: 'Rows restored per table.' }) counts!: Record<string, number>;
  @ApiProperty({ description: 'false: the backup held no sessions, so every session (the caller’s too) has ended.' })
  sessionsRestored!: boolean;
  @ApiProperty({ example: 42, description: 'Stored files written into the configured storage.' }) filesRestored!: number;
  @ApiProperty({
    example: 0,
    description: 'Restored stored files whose bytes are not in the configured storage (only counted for a backup without files).',
  })
  filesMissing!: number;
}
