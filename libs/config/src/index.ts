export * from './config.module';
export * from './config.types';
export { ConfigError, EMBEDDED_IN_MEMORY, loadConfig, MAX_BATCH_OPERATIONS } from './load-config';
export { packageVersion, projectRoot } from './project-root';
export { PRIVATE_DIR_MODE, PrivateFilesError, secureDataDirs, useOwnerOnlyUmask } from './private-files';
export {
  appleIdProblem,
  applePrivateKeyProblem,
  defaultIssuer,
  defaultScopes,
  issuerProblem,
  PROVIDER_NAME,
  PROVIDER_PRESETS,
  type ProviderPreset,
  redirectUrlProblem,
} from './sign-in-providers-config';
