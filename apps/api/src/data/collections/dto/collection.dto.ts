import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { FIELD_TYPES, type FieldType, MAX_FIELDS } from '../field-definition';
import type { CollectionOptions, CollectionRow, CollectionRules } from '../collection-schema';
import { type CompositeIndex, MAX_INDEX_KEYS, MAX_INDEXES } from '../composite-indexes';
import { TEXT_SEARCH_LANGUAGES, type TextSearchLanguage } from '../../query/text-search';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const RULE_MAX = 4_096;

export class FieldDefinitionDto {
  @ApiProperty({ example: 'title', pattern: NAME.source })
  @IsString()
  @MaxLength(63)
  name!: string;

  @ApiProperty({ enum: FIELD_TYPES, example: 'text' })
  @IsIn(FIELD_TYPES)
  type!: FieldType;

  @ApiPropertyOptional({ description: 'When altering a collection: the current name of the field this one renames.' })
  @IsOptional()
  @IsString()
  @MaxLength(63)
  from?: string;

  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() required?: boolean;

  // Any value the field itself accepts (an object or array for a json field), checked against the field when the definition is saved.
  @ApiPropertyOptional({
    anyOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'array', items: {} },
      { type: 'object', additionalProperties: true },
    ],
    description: 'Value used when a create or replace leaves the field out; it must be a value the field accepts.',
  })
  @Allow()
  default?: unknown;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] })
  @Allow()
  min?: number | string;

  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string', format: 'date-time' }] })
  @Allow()
  max?: number | string;

  @ApiPropertyOptional({ type: Number, minimum: 0 }) @IsOptional() @IsInt() @Min(0) minLength?: number;
  @ApiPropertyOptional({ type: Number, minimum: 0 }) @IsOptional() @IsInt() @Min(0) maxLength?: number;
  @ApiPropertyOptional({ type: String, maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) pattern?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  values?: string[];

  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() multiple?: boolean;
  @ApiPropertyOptional({ type: String, maxLength: 63 }) @IsOptional() @IsString() @MaxLength(63) collection?: string;

  @ApiPropertyOptional({ enum: ['cascade', 'setNull', 'restrict'] })
  @IsOptional()
  @IsIn(['cascade', 'setNull', 'restrict'])
  onDelete?: 'cascade' | 'setNull' | 'restrict';

  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() unique?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() indexed?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() hidden?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() encrypted?: boolean;
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @IsBoolean() searchable?: boolean;

  // File fields; checkFieldDefinitions checks the values (file-field-options.ts), so the paths match the others'.
  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: 100, description: 'file, multiple: the most files' })
  @IsOptional()
  @Allow()
  maxFiles?: number;

  @ApiPropertyOptional({ type: Number, minimum: 1, description: 'file: the largest file in bytes (at most STORAGE_MAX_FILE_BYTES)' })
  @IsOptional()
  @Allow()
  maxSize?: number;

  @ApiPropertyOptional({
    type: [String],
    example: ['image/*', 'application/pdf'],
    description: 'file: allowed media types, checked against the bytes',
  })
  @IsOptional()
  @Allow()
  mimeTypes?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['100x100', '480x0'],
    description: 'file: thumbnail sizes that may be asked for (WxH; 0 keeps the ratio)',
  })
  @IsOptional()
  @Allow()
  thumbs?: string[];

  @ApiPropertyOptional({ type: Boolean, description: 'file: downloads need a file token as well as the view rule' })
  @IsOptional()
  @Allow()
  protected?: boolean;
}

/** Per action: absent or null → admins only; "" → everyone; otherwise a filter expression, e.g. `owner = @me`. */
export class CollectionRulesDto implements Partial<CollectionRules> {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RULE_MAX, example: 'owner = @me' })
  @IsOptional()
  @IsString()
  @MaxLength(RULE_MAX)
  list?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RULE_MAX, example: 'owner = @me' })
  @IsOptional()
  @IsString()
  @MaxLength(RULE_MAX)
  view?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RULE_MAX, example: '@me != null' })
  @IsOptional()
  @IsString()
  @MaxLength(RULE_MAX)
  create?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RULE_MAX, example: 'owner = @me' })
  @IsOptional()
  @IsString()
  @MaxLength(RULE_MAX)
  update?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: RULE_MAX, example: 'owner = @me' })
  @IsOptional()
  @IsString()
  @MaxLength(RULE_MAX)
  delete?: string | null;
}

/** One declared index: keys in order, `-` for descending; checked against the fields by the service. */
export class CompositeIndexDto implements CompositeIndex {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: MAX_INDEX_KEYS,
    example: ['status', '-created'],
    description: 'Field names or created, updated, owner, id; a leading - orders that key descending.',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_INDEX_KEYS)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  fields!: string[];

  @ApiPropertyOptional({ description: 'No two live records share these values (records missing one of them are not compared).' })
  @IsOptional()
  @IsBoolean()
  unique?: boolean;
}

export class CollectionOptionsDto implements Partial<CollectionOptions> {
  @ApiPropertyOptional({ description: 'Delete moves records to the trash (default true).' })
  @IsOptional()
  @IsBoolean()
  softDelete?: boolean;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 3650,
    description: 'Days trashed records are kept (default 30; 0 purges at the next sweep).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(3650)
  trashRetentionDays?: number;

  @ApiPropertyOptional({
    enum: ['delete', 'anonymize'],
    description: 'A deleted user’s records are deleted (default) or kept without owner.',
  })
  @IsOptional()
  @IsIn(['delete', 'anonymize'])
  onUserDeleted?: 'delete' | 'anonymize';

  @ApiPropertyOptional({ minimum: 256, maximum: 4 * 1024 * 1024, description: 'Largest record data in bytes (default 262144).' })
  @IsOptional()
  @IsInt()
  @Min(256)
  @Max(4 * 1024 * 1024)
  maxRecordBytes?: number;

  @ApiPropertyOptional({
    enum: TEXT_SEARCH_LANGUAGES,
    description:
      'Text-search configuration of q= (default simple: words lower-cased, no stemming). A language stems words (english: ' +
      '"running" finds "run") and drops its stop words. Changing it rebuilds the search index of every record.',
  })
  @IsOptional()
  @IsIn(TEXT_SEARCH_LANGUAGES)
  searchLanguage?: TextSearchLanguage;

  @ApiPropertyOptional({
    type: [CompositeIndexDto],
    maxItems: MAX_INDEXES,
    description:
      'Indexes over several keys for the filters and sorts your lists use most, e.g. `{"fields": ["status", "-created"]}` serves ' +
      "`filter=status='open'&sort=-created`. Plain indexes are built without blocking writes on PostgreSQL; see docs/indexes.md.",
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_INDEXES)
  @ValidateNested({ each: true })
  @Type(() => CompositeIndexDto)
  indexes?: CompositeIndexDto[];
}

/** What creating and changing a collection share. */
class CollectionSettingsDto {
  @ApiPropertyOptional({ type: String, maxLength: 1000 }) @IsOptional() @IsString() @MaxLength(1000) description?: string;

  @ApiPropertyOptional({ type: CollectionRulesDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CollectionRulesDto)
  rules?: CollectionRulesDto;
  @ApiPropertyOptional({ type: CollectionOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CollectionOptionsDto)
  options?: CollectionOptionsDto;
}

export class CreateCollectionDto extends CollectionSettingsDto {
  @ApiProperty({ example: 'tasks', pattern: NAME.source, maxLength: 63 })
  @IsString()
  @Matches(NAME, { message: 'name must be lower-case letters, digits and _, starting with a letter (max 63)' })
  name!: string;

  @ApiProperty({ type: [FieldDefinitionDto], maxItems: MAX_FIELDS })
  @IsArray()
  @ArrayMaxSize(MAX_FIELDS)
  @ValidateNested({ each: true })
  @Type(() => FieldDefinitionDto)
  fields!: FieldDefinitionDto[];
}

/** A schema change: what is sent replaces what was; `fields` is the complete new list. */
export class UpdateCollectionDto extends CollectionSettingsDto {
  @ApiPropertyOptional({ description: 'Refuse (412) unless the collection is still at this version.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;

  @ApiPropertyOptional({ type: [FieldDefinitionDto], maxItems: MAX_FIELDS })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_FIELDS)
  @ValidateNested({ each: true })
  @Type(() => FieldDefinitionDto)
  fields?: FieldDefinitionDto[];
}

export class CollectionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'tasks' }) name!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: [FieldDefinitionDto], description: 'Hidden fields are listed for admins only.' }) fields!: FieldDefinitionDto[];
  @ApiPropertyOptional({ type: CollectionRulesDto, description: 'Admins only.' }) rules?: CollectionRulesDto;
  @ApiProperty({ type: CollectionOptionsDto }) options!: CollectionOptionsDto;
  @ApiProperty({ description: 'Bumped by every schema change.' }) version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static from(row: CollectionRow, forAdmin: boolean): CollectionDto {
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      fields: forAdmin ? row.fields : row.fields.filter((field) => !field.hidden),
      ...(forAdmin && { rules: row.rules }),
      options: { searchLanguage: 'simple', ...row.options },
      version: row.version,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}

export class CollectionListDto {
  @ApiProperty({ type: [CollectionDto] }) items!: CollectionDto[];
}
