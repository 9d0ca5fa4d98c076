'use strict';
/**
 * The thumbnail yardstick of `npm run bench:files`: bare Fastify serving one directory with
 * @fastify/static, nothing else. It runs as its own process, like the app, so the load
 * generator does not share an event loop with either server.
 *
 * Env: STATIC_ROOT (the directory), PORT (0 = any), HOST (127.0.0.1).
 */
const Fastify = require('fastify');
const fastifyStatic = require('@fastify/static');

async function main() {
  const app = Fastify({ logger: false });
  await app.register(fastifyStatic, { root: process.env.STATIC_ROOT, prefix: '/static/' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
  const address = await app.listen({ host: process.env.HOST || '127.0.0.1', port: Number(process.env.PORT || 0) });
  process.stdout.write(`static server listening on ${address}\n`);
}

main().catch((error) => {
  process.stderr.write(`static server failed: ${error.stack || error}\n`);
  process.exit(1);
});
