import type { DefinitionProblem, FieldDefinition } from './field-definition';

/** The options only file fields take. */
export const FILE_OPTIONS = ['maxFiles', 'maxSize', 'mimeTypes', 'thumbs', 'protected'] as const;

export const MAX_FILES_PER_FIELD = 100;
const MAX_MIME_TYPES = 50;
const MAX_THUMB_SIZES = 10;
const MAX_THUMB_SIDE = 4_096;
const MAX_FILE_SIZE = 5 * 1024 ** 4;
const MIME_TYPE = /^(?:[a-z0-9][a-z0-9!#$&^_.+-]{0,62})\/(?:\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126})$/;
const THUMB_SIZE = /^(\d{1,4})x(\d{1,4})$/;

/** A thumbnail size `WxH` as numbers; 0 on one side keeps the image's aspect ratio. */
export function parseThumbSize(size: string): { width: number; height: number } | undefined {
  const match = THUMB_SIZE.exec(size);
  if (!match) return undefined;
  const [width, height] = [Number(match[1]), Number(match[2])];
  if ((width === 0 && height === 0) || width > MAX_THUMB_SIDE || height > MAX_THUMB_SIDE) return undefined;
  return { width, height };
}

/** Problems of a file field's own options, with paths under `at` (`fields.3`). */
export function fileFieldProblems(field: FieldDefinition, at: string): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const fail = (key: string, code: string, message: string) => problems.push({ path: `${at}.${key}`, code, message });
  if (field.maxFiles !== undefined) {
    if (!field.multiple) fail('maxFiles', 'notApplicable', 'maxFiles applies to multiple file fields only');
    else if (!Number.isInteger(field.maxFiles) || field.maxFiles < 1 || field.maxFiles > MAX_FILES_PER_FIELD)
      fail('maxFiles', 'outOfRange', `maxFiles must be an integer from 1 to ${MAX_FILES_PER_FIELD}`);
  }
  if (field.maxSize !== undefined && (!Number.isInteger(field.maxSize) || field.maxSize < 1 || field.maxSize > MAX_FILE_SIZE))
    fail('maxSize', 'outOfRange', 'maxSize must be a whole number of bytes from 1');
  if (field.mimeTypes !== undefined) {
    const types = field.mimeTypes;
    if (
      !Array.isArray(types) ||
      types.length === 0 ||
      types.length > MAX_MIME_TYPES ||
      !types.every((type) => typeof type === 'string' && MIME_TYPE.test(type))
    )
      fail('mimeTypes', 'invalid', `mimeTypes must list 1 to ${MAX_MIME_TYPES} media types such as image/png or image/*`);
  }
  if (field.thumbs !== undefined) {
    const sizes = field.thumbs;
    if (!Array.isArray(sizes) || sizes.length > MAX_THUMB_SIZES || !sizes.every((size) => typeof size === 'string' && parseThumbSize(size)))
      fail(
        'thumbs',
        'invalid',
        `thumbs must list at most ${MAX_THUMB_SIZES} sizes WxH such as 100x100 or 480x0 (up to ${MAX_THUMB_SIDE} a side)`,
      );
  }
  if (field.protected !== undefined && typeof field.protected !== 'boolean')
    fail('protected', 'invalid', 'protected must be true or false');
  for (const key of ['unique', 'indexed', 'encrypted', 'searchable', 'default'] as const)
    if (field[key] !== undefined && field[key] !== false)
      fail(key, 'notApplicable', `a file field cannot be ${key === 'default' ? 'given a default' : key}`);
  return problems;
}
