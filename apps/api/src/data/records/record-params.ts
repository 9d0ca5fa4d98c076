import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '@backlot/http';

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Path parameters of the hot record routes, checked with one regular expression each.
 * (A DTO class would cost a class-transformer and class-validator pass per request, a
 * measurable share of a cached read.)
 */
@Injectable()
class CollectionNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!NAME.test(value))
      throw new ValidationFailed([
        { path: 'name', code: 'matches', message: 'name must be a collection name (lower-case letters, digits, _)' },
      ]);
    return value;
  }
}

@Injectable()
class RecordIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!UUID.test(value)) throw new ValidationFailed([{ path: 'id', code: 'isUuid', message: 'id must be a UUID' }]);
    return value.toLowerCase();
  }
}

export const CollectionName = (): ParameterDecorator => Param('name', CollectionNamePipe);
export const RecordId = (): ParameterDecorator => Param('id', RecordIdPipe);
