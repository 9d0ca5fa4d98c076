import { defineConfig } from 'prisma/config';

// The Prisma CLI is used only for `prisma generate` (see scripts/prisma-generate.js);
// migrations run through libs/database, which reads DATABASE_URL itself.
export default defineConfig({ schema: 'prisma/schema.prisma', migrations: { path: 'prisma/migrations' } });
