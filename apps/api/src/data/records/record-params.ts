import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '@backlot/http';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSION = /^[1-9]\d{0,9}$/;

/**
 * Path parameters of the record routes, checked with one regular expression each. (A DTO
 * class would cost a class-transformer and class-validator pass per request, a measurable
 * share of a cached read.)
 */
@Injectable()
class RecordIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw new ValidationFailed([{ path: 'id', code: 'isUuid', message: 'id must be a UUID' }]);
    return value.toLowerCase();
  }
}

@Injectable()
class VersionPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!VERSION.test(value) || Number(value) > 2_147_483_647)
      throw new ValidationFailed([{ path: 'version', code: 'isInt', message: 'version must be a whole number from 1' }]);
    return Number(value);
  }
}

export const RecordId = (): ParameterDecorator => Param('id', RecordIdPipe);
export const RevisionVersion = (): ParameterDecorator => Param('version', VersionPipe);
