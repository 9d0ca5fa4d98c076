'use strict';
/**
 * The export memory check: streams a whole collection as NDJSON from the app while sampling
 * its resident memory, so an export that buffers the collection instead of streaming it
 * shows up as RSS growing with the data. Reported, not a goal.
 */
const { readMemory, sleep } = require('./processes');

const SAMPLE_INTERVAL_MS = 50;
const BEFORE_WINDOW_MS = 1_000;

/** Highest VmRSS seen between start and stop, sampled every 50 ms. */
function rssPeak(pid) {
  let peak;
  const take = () => {
    const rss = readMemory(pid)?.rssMb;
    if (rss !== undefined && (peak === undefined || rss > peak)) peak = rss;
  };
  take();
  const timer = setInterval(take, SAMPLE_INTERVAL_MS);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

/** Peak RSS over a quiet second: the level the export's peak is compared with. */
async function rssBefore(pid) {
  const sampler = rssPeak(pid);
  await sleep(BEFORE_WINDOW_MS);
  return sampler.stop();
}

/**
 * One export, read to the end: counts lines (records) and bytes as they arrive and keeps
 * nothing, so the bench's own memory does not matter. Resolves with status, and for a 200
 * { records, bytes, seconds, firstByteMs, peakRssMb }.
 */
async function streamExport(url, token, pid) {
  const sampler = rssPeak(pid);
  const started = performance.now();
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/x-ndjson' } });
    if (response.status !== 200) return { status: response.status, text: (await response.text()).slice(0, 300) };
    const firstByteMs = Math.round(performance.now() - started);
    let records = 0;
    let bytes = 0;
    let lastByte = 0x0a;
    for await (const chunk of response.body) {
      bytes += chunk.length;
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) records++;
      lastByte = chunk[chunk.length - 1] ?? lastByte;
    }
    if (lastByte !== 0x0a) records++; // a last line without its newline
    const seconds = (performance.now() - started) / 1000;
    return { status: 200, records, bytes, seconds, firstByteMs, peakRssMb: sampler.stop() };
  } finally {
    sampler.stop();
  }
}

module.exports = { rssBefore, streamExport };
