import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldError, ValidationFailed } from '../errors/domain-errors';

/**
 * Request DTO validation: unknown properties are rejected (not silently dropped) so a
 * client's typo surfaces, and every failure is reported with its field path.
 */
export function createValidationPipe(): ValidationPipe {
  return new InputValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flattenValidationErrors(errors)),
  });
}

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([code, message]) => ({
      path,
      code: code === 'whitelistValidation' ? 'unknownProperty' : code,
      message: code === 'whitelistValidation' ? `property ${path} is not allowed` : message,
    }));
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}

/**
 * PostgreSQL text cannot hold U+0000: such a string would fail deep in the database as a 500.
 * Refuse it up front, in any field of any input, with the path of the field.
 */
class InputValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const errors = nulCharacterErrors(value, metadata.type === 'body' ? '' : (metadata.data ?? metadata.type));
    if (errors.length > 0) throw new ValidationFailed(errors);
    return super.transform(value, metadata);
  }
}

function nulCharacterErrors(value: unknown, path: string, depth = 0): FieldError[] {
  if (typeof value === 'string') {
    return value.includes('\u0000')
      ? [{ path: path || '(body)', code: 'nulCharacter', message: `${path || 'the value'} must not contain a NUL character` }]
      : [];
  }
  if (depth > 32 || value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const keyErrors = key.includes('\u0000')
      ? [{ path: path || '(body)', code: 'nulCharacter', message: 'property names must not contain a NUL character' }]
      : [];
    return [...keyErrors, ...nulCharacterErrors(item, path ? `${path}.${key}` : key, depth + 1)];
  });
}
