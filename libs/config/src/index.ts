export * from './config.module';
export * from './config.types';
export { ConfigError, EMBEDDED_IN_MEMORY, loadConfig } from './load-config';
export { packageVersion, projectRoot } from './project-root';
