'use strict';
/**
 * How the server process is started in production (Dockerfile, `npm run start:prod`) and by the
 * benchmark, which measures Backlot as it is deployed. Those places spell these values out
 * (a Dockerfile cannot import them); test/integration/runtime-settings.int-spec.ts checks they agree.
 *
 * - `--max-old-space-size=512`: V8 otherwise lets the old generation grow to about four times
 *   the live data before collecting it on a machine with much memory (measured: 245 MB of heap
 *   pages under load for 70 MB live); with 512 MB it collects at about 1.4 times. Raise it if a
 *   deployment really keeps more live (docs/deployment-and-scaling.md#memory says how).
 * - Not `--max-semi-space-size=8`: measured, it saved no resident memory under load and cost
 *   Node CPU (more young-generation collections).
 * - `MALLOC_MMAP_THRESHOLD_`: glibc otherwise keeps, in per-thread arenas, the large buffers
 *   worker threads free — argon2's 19 MiB per libuv thread that has hashed a password (76 MB
 *   with four threads), compiler memory of WebAssembly — instead of returning them to the system.
 */
const NODE_FLAGS = ['--max-old-space-size=512'];
const ENV = { MALLOC_MMAP_THRESHOLD_: '131072' };

module.exports = { NODE_FLAGS, ENV };
