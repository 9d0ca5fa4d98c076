export * from './health/health-registry';
export * from './logging/logger';
export * from './logging/nest-logger';
export * from './logging/redact-url';
export * from './logging/request-id';
export * from './metrics/http-instrumentation';
export * from './metrics/metrics.service';
export * from './observability.module';
