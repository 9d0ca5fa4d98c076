import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IsNewPassword, PASSWORD_MAX_LENGTH, passwordProblem } from './password-policy';

class Form {
  @IsNewPassword() password: unknown;
}

describe('password policy', () => {
  it('accepts a long passphrase without composition rules', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(passwordProblem('a1b2c3d4e5')).toBeUndefined();
  });

  it.each([
    ['short1234', 'must be at least 10 characters'],
    ['x'.repeat(PASSWORD_MAX_LENGTH + 1), `must be at most ${PASSWORD_MAX_LENGTH} characters`],
    ['aaaaaaaaaaaa', 'is too repetitive'],
    ['abababababab', 'is too repetitive'],
    ['Password123', 'is a commonly used password'],
    ['1234567890', 'is a commonly used password'],
  ])('refuses %j: %s', (password, problem) => {
    expect(passwordProblem(password)).toBe(problem);
  });

  it('reports the policy through class-validator', () => {
    const [error] = validateSync(plainToInstance(Form, { password: 'password123' }));
    expect(Object.values(error.constraints ?? {})).toContain('password is a commonly used password');
    const [typeError] = validateSync(plainToInstance(Form, { password: 12345678901 }));
    expect(typeError.constraints).toBeDefined();
  });
});
