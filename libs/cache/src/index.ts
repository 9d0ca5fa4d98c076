export * from './bus/cluster-bus';
export * from './cache.module';
export * from './cache.service';
export * from './redis/redis.connection';
export * from './redis/redis.module';
