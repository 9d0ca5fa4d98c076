import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength, registerDecorator } from 'class-validator';

export const PASSWORD_MIN_LENGTH = 10;
/** Long enough for any passphrase; short enough that hashing cannot be used to burn CPU. */
export const PASSWORD_MAX_LENGTH = 128;

// The most common passwords of public breach lists that meet the length rule; NIST SP 800-63B asks to refuse them.
const COMMON = new Set([
  '1234567890',
  '0123456789',
  '12345678910',
  '1234567891',
  'qwertyuiop',
  'password1',
  'password12',
  'password123',
  'password1234',
  'passw0rd123',
  'iloveyou12',
  'qwerty1234',
  'qwerty12345',
  '1q2w3e4r5t',
  '1qaz2wsx3edc',
  'abcdefghij',
  'abc1234567',
  'letmein123',
  'welcome123',
  'admin12345',
  'administrator',
  'football123',
  'baseball12',
  'superman123',
  'princess123',
  'sunshine123',
  'trustno1234',
  'monkey12345',
  'dragon12345',
  'master12345',
  'changeme123',
  'aaaaaaaaaa',
  'zxcvbnm123',
  'asdfghjkl1',
  'qazwsxedc123',
  'starwars123',
  'whatever123',
  'computer123',
  'michael123',
  'shadow1234',
]);

/** Why a password is refused, or undefined. Length and breach-list rules only (NIST SP 800-63B). */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (new Set(password).size < 4) return 'is too repetitive';
  if (COMMON.has(password.toLowerCase())) return 'is a commonly used password';
  return undefined;
}

/** A new password: validated against the policy and documented in OpenAPI. */
export function IsNewPassword(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      minLength: PASSWORD_MIN_LENGTH,
      maxLength: PASSWORD_MAX_LENGTH,
      format: 'password',
      description: `${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters, not a commonly used password`,
      example: 'correct horse battery staple',
    }),
    IsString(),
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name: 'isNewPassword',
        target: target.constructor,
        propertyName: propertyName as string,
        validator: {
          validate: (value: unknown) => typeof value === 'string' && passwordProblem(value) === undefined,
          defaultMessage: (args) =>
            `password ${typeof args?.value === 'string' ? (passwordProblem(args.value) ?? 'is invalid') : 'must be a string'}`,
        },
      }),
  );
}

/** A password being checked (sign-in, re-authentication): only bounded, never policy-checked. */
export function IsCurrentPassword(): PropertyDecorator {
  return applyDecorators(
    ApiProperty({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, format: 'password', example: 'correct horse battery staple' }),
    IsString(),
    MinLength(1),
    MaxLength(PASSWORD_MAX_LENGTH),
  );
}
