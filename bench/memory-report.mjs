/**
 * Preloaded by bench/memory.ts (`node --expose-gc --import ./bench/memory-report.mjs …`): on
 * SIGUSR2 the server writes where its memory is to MEMORY_REPORT_FILE — V8's heap by space, the
 * array buffers, and the same after a full GC — so a figure of RSS can be taken apart. Bench only.
 */
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;

function usage() {
  const u = process.memoryUsage();
  return { rss: mb(u.rss), heapTotal: mb(u.heapTotal), heapUsed: mb(u.heapUsed), arrayBuffers: mb(u.arrayBuffers) };
}

process.on('SIGUSR2', () => {
  const before = usage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)]));
  globalThis.gc?.();
  writeFileSync(process.env.MEMORY_REPORT_FILE, JSON.stringify({ ...before, spaces, afterGc: usage() }));
});
