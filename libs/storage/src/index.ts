export * from './storage';
export * from './local-storage';
export * from './storage.module';
export * from './s3-storage';
export * from './local-dir-peers';
export * from './create-storage';
