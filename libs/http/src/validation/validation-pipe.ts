import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldError, ValidationFailed } from '../errors/domain-errors';

/**
 * Request DTO validation: unknown properties are rejected (not silently dropped) so a
 * client's typo surfaces, and every failure is reported with its field path. Text no
 * field may hold (NUL, lone surrogates) never gets this far: see registerInputLimits.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
