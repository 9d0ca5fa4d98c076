export * from './field-encryption';
export * from './password-hasher';
export * from './recovery-codes';
export * from './secrets';
export * from './totp';
export * from './sealed-jobs';
