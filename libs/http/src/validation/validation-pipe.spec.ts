import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { type FieldError, ValidationFailed } from '../errors/domain-errors';
import { createValidationPipe } from './validation-pipe';

class AddressDto {
  @IsString()
  street: string;

  @Matches(/^\d{5}$/)
  zip: string;
}

class ItemDto {
  @IsInt()
  @Min(1)
  qty: number;
}

class SignupDto {
  @IsEmail()
  email: string;

  @IsString()
  @Length(2, 40)
  name: string;

  @IsInt()
  @Min(13)
  @Max(130)
  age: number;

  @ValidateNested()
  @Type(() => AddressDto)
  address: AddressDto;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => ItemDto)
  items?: ItemDto[];
}

const body: ArgumentMetadata = { type: 'body', metatype: SignupDto };

function validInput(): Record<string, unknown> {
  return { email: 'ada@example.com', name: 'Ada', age: 36, address: { street: '1 Analytical Way', zip: '12345' } };
}

/** Runs the pipe on input that must be rejected and returns the reported field errors. */
async function fieldErrors(value: unknown): Promise<FieldError[]> {
  const error: unknown = await createValidationPipe()
    .transform(value, body)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect(error).toBeInstanceOf(ValidationFailed);
  return (error as ValidationFailed).errors;
}

describe('createValidationPipe', () => {
  it('transforms valid input into an instance of the DTO class, nested objects included', async () => {
    const result: unknown = await createValidationPipe().transform({ ...validInput(), items: [{ qty: 2 }] }, body);

    expect(result).toBeInstanceOf(SignupDto);
    const dto = result as SignupDto;
    expect(dto.address).toBeInstanceOf(AddressDto);
    expect(dto.items?.[0]).toBeInstanceOf(ItemDto);
    expect(dto).toMatchObject({ email: 'ada@example.com', age: 36, address: { zip: '12345' } });
  });

  it('throws ValidationFailed with the default message', async () => {
    await expect(createValidationPipe().transform({}, body)).rejects.toThrow(new ValidationFailed([]).message);
  });

  it('reports every failing constraint of a field, with the constraint name as the code', async () => {
    const errors = await fieldErrors({ ...validInput(), age: 'old' });

    expect(errors.filter((e) => e.path === 'age').map((e) => e.code)).toEqual(expect.arrayContaining(['isInt', 'min', 'max']));
    expect(errors.every((e) => e.path === 'age')).toBe(true);
  });

  it('reports failures in several fields at once', async () => {
    const errors = await fieldErrors({ ...validInput(), email: 'not-an-email', name: 'A' });

    expect(errors).toEqual([
      { path: 'email', code: 'isEmail', message: 'email must be an email' },
      { path: 'name', code: 'isLength', message: expect.stringContaining('name must be longer than or equal to 2') },
    ]);
  });

  it('flattens nested failures into dotted paths', async () => {
    const errors = await fieldErrors({ ...validInput(), address: { street: 42, zip: 'abc' } });

    expect(errors.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: 'address.street', code: 'isString' },
      { path: 'address.zip', code: 'matches' },
    ]);
  });

  it('includes the array index in the path of a failing item', async () => {
    const errors = await fieldErrors({ ...validInput(), items: [{ qty: 1 }, { qty: 1 }, { qty: 0 }] });

    expect(errors).toEqual([{ path: 'items.2.qty', code: 'min', message: expect.any(String) }]);
  });

  it('reports unknown properties with code unknownProperty instead of dropping them', async () => {
    const errors = await fieldErrors({ ...validInput(), isAdmin: true });

    expect(errors).toEqual([{ path: 'isAdmin', code: 'unknownProperty', message: 'property isAdmin is not allowed' }]);
  });

  it('reports unknown properties inside nested objects with their full path', async () => {
    const errors = await fieldErrors({ ...validInput(), address: { street: 'x', zip: '12345', country: 'NL' } });

    expect(errors).toEqual([{ path: 'address.country', code: 'unknownProperty', message: 'property address.country is not allowed' }]);
  });

  it('reports a nested property that is not an object with code nestedValidation', async () => {
    const errors = await fieldErrors({ ...validInput(), address: '1 Analytical Way, 12345' });

    expect(errors).toEqual([
      { path: 'address', code: 'nestedValidation', message: 'nested property address must be either object or array' },
    ]);
  });

  it('reports unknown properties inside array items with the item index in the path', async () => {
    const errors = await fieldErrors({ ...validInput(), items: [{ qty: 1, discount: 50 }] });

    expect(errors).toEqual([{ path: 'items.0.discount', code: 'unknownProperty', message: 'property items.0.discount is not allowed' }]);
  });
});
