export * from './connection/database-connection';
export * from './database.module';
export * from './migrations/migrator';
export { Prisma } from './generated/prisma/client';
export * from './prisma.service';
export * from './query/like-pattern';
export * from './query/storable-text';
