export * from './domain-events';
export * from './events.module';
export * from './user-data-export';
