export * from './rate-limit/rate-limit.decorator';
export * from './rate-limit/rate-limit.guard';
export * from './rate-limit/rate-limit.module';
export * from './http/http-hardening';
