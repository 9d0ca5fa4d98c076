'use strict';
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const STOP_GRACE_MS = 5_000;
const POLL_INTERVAL_MS = 250;

/**
 * Starts a Node server whose stdout and stderr go to a log file: the app logs one line per
 * request, and printing that to the terminal would cost more than the app itself.
 */
function startServer({ name, script, env, cwd, logFile, nodeArgs = [] }) {
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(process.execPath, [...nodeArgs, script], { cwd, env, stdio: ['ignore', fd, fd] });
    child.benchName = name;
    child.logFile = logFile;
    child.on('error', () => undefined); // reported through hasExited / the log instead
    return child;
  } finally {
    fs.closeSync(fd); // the child has its own copy
  }
}

function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Polls until `url` answers 200; fails early when the server died instead of waiting out the timeout. */
async function waitForReady(child, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (hasExited(child))
      throw new Error(`${child.benchName} exited during start-up (code ${child.exitCode ?? child.signalCode})\n${logTail(child.logFile)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(POLL_INTERVAL_MS);
  }
  throw new Error(`${child.benchName} was not ready at ${url} within ${timeoutMs / 1000} s\n${logTail(child.logFile)}`);
}

/** SIGTERM first so the app can close its database cleanly; SIGKILL if it hangs. */
async function stopServer(child) {
  if (!child || hasExited(child)) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** Current and peak resident memory of a process in MB, from the kernel's own bookkeeping. */
function readMemory(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssMb: kbField(status, 'VmRSS'), peakRssMb: kbField(status, 'VmHWM') };
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

function kbField(status, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : undefined;
}

/**
 * VmHWM includes start-up (migrations, PGlite initdb), so the highest RSS seen while load is
 * running is sampled separately.
 */
function sampleMemory(pid, intervalMs = 200) {
  let maxRssMb;
  const take = () => {
    const rss = readMemory(pid)?.rssMb;
    if (rss !== undefined && (maxRssMb === undefined || rss > maxRssMb)) maxRssMb = rss;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return maxRssMb;
    },
  };
}

function logTail(file, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { startServer, waitForReady, stopServer, hasExited, readMemory, sampleMemory, logTail, sleep };
