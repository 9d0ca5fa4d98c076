'use strict';
/**
 * CPU spent per measured run, from the kernel's own accounting (/proc/<pid>/stat utime + stime):
 * the server process, and the PostgreSQL backends that server holds in the bench database.
 *
 * Only backends of the bench database are counted (pg_stat_activity.datname), because other
 * work may share the PostgreSQL server, and of those only the measured server's: the reference
 * servers connect as application_name bench-<server>, the rest is Backlot's (its pool and any
 * job it runs meanwhile, which is part of its cost); the WAL writer, checkpointer and background writer are
 * shared and left out, so write scenarios' database cost is a lower bound. A backend that exits
 * during a run loses its share (the pools keep theirs open, so this does not happen in practice).
 * pg_stat_statements would give per-statement times, but it needs shared_preload_libraries
 * and a server restart, which a benchmark should not ask for.
 */
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { Client } = require('pg');

let ticksPerSecond;

function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process in seconds, or undefined when it is gone (or not Linux). */
function processCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

async function backendPids(postgres) {
  const client = new Client({ connectionString: postgres.adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // The reference servers name their connections bench-<server>; everything else in the bench database is Backlot's.
    const { rows } = await client.query(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()
          AND CASE WHEN $2 = 'backlot' THEN coalesce(application_name, '') NOT LIKE 'bench-%' ELSE application_name = 'bench-' || $2 END`,
      [postgres.dbName, postgres.server],
    );
    return rows.map((row) => row.pid);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function postgresCpu(postgres) {
  const cpu = new Map();
  for (const pid of await backendPids(postgres)) cpu.set(pid, processCpuSeconds(pid) ?? 0);
  return cpu;
}

/**
 * start() before a run, stop() after it → { wallSeconds, serverCpuSeconds, postgresCpuSeconds }.
 * `postgres` ({ adminUrl, dbName, server: 'backlot' | 'handwritten' | 'baseline' }) is undefined on the embedded database, whose work is inside the
 * server process and therefore in its figure.
 */
function cpuProbe(serverPid, postgres) {
  let before;
  return {
    async start() {
      before = { at: performance.now(), server: processCpuSeconds(serverPid), postgres: postgres && (await postgresCpu(postgres)) };
    },
    async stop() {
      const wallSeconds = (performance.now() - before.at) / 1000;
      const server = processCpuSeconds(serverPid);
      let postgresCpuSeconds;
      if (postgres) {
        const after = await postgresCpu(postgres);
        postgresCpuSeconds = 0;
        // A backend that appeared during the run started from 0.
        for (const [pid, seconds] of after) postgresCpuSeconds += seconds - (before.postgres.get(pid) ?? 0);
      }
      return {
        wallSeconds,
        serverCpuSeconds: server === undefined || before.server === undefined ? undefined : server - before.server,
        postgresCpuSeconds,
      };
    },
  };
}

module.exports = { cpuProbe, processCpuSeconds };
