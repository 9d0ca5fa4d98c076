import { Injectable, Param, type PipeTransform } from '@nestjs/common';
import { ValidationFailed } from '@backlot/http';

/** A stored file name (file-ref.ts storedName): lower-case ASCII, a random tail, an extension. Nothing else reaches storage. */
const STORED_NAME = /^[a-z0-9][a-z0-9_-]{0,80}_[a-z0-9]{10}(\.[a-z0-9]{1,10})?$/;

@Injectable()
class StoredNamePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!STORED_NAME.test(value))
      throw new ValidationFailed([{ path: 'file', code: 'matches', message: 'file must be a stored file name as the record shows it' }]);
    return value;
  }
}

export const StoredNameParam = (): ParameterDecorator => Param('file', StoredNamePipe);
