/**
 * Where a server's memory goes, with N keys (default 100,000): `npx tsx bench/memory.ts [keys]`.
 * Not a figure of `npm run bench` (which reads RSS alone, bench/keys.ts), but its parts, at rest
 * (2 s after the start, every key loaded) and after 3 s of the keys list at 50 connections: RSS,
 * V8's heap (reserved, used, used after a full GC, by space), array buffers (the key map's
 * columns among them), malloc's heap (SQLite's page cache among it) and the node binary's pages.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ROOT, startClientkeys, type Server } from './lib.ts';
import { seedDatabase } from './seed.ts';

const keys = Number(process.argv[2] ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'clientkeys-bench-memory-'));
const reportFile = join(dir, 'report.json');

/** Resident kB by mapping, from smaps: the malloc heap and the node binary by name. */
function mappings(pid: number): Record<string, number> {
  const totals: Record<string, number> = {};
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) name = mapping[1] ?? '';
    else if (line.startsWith('Rss:')) totals[name] = (totals[name] ?? 0) + Number(line.split(/\s+/)[1]);
  }
  return totals;
}

async function report(server: Server, label: string): Promise<void> {
  rmSync(reportFile, { force: true });
  process.kill(server.pid, 'SIGUSR2');
  for (let i = 0; i < 50 && !existsSync(reportFile); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 100));
  const parts = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
  const maps = mappings(server.pid);
  const node = Object.entries(maps).filter(([name]) => name.endsWith('/node')).reduce((sum, [, kb]) => sum + kb, 0);
  console.log(label, JSON.stringify({ ...parts, mallocHeap: Math.round((maps['[heap]'] ?? 0) / 1024), nodeBinary: Math.round(node / 1024) }));
}

try {
  const databaseUrl = `sqlite:${join(dir, 'bench.sqlite')}`;
  const seeded = await seedDatabase(databaseUrl, keys);
  const server = await startClientkeys(databaseUrl, { MEMORY_REPORT_FILE: reportFile }, ['--expose-gc', '--import', join(ROOT, 'bench', 'memory-report.mjs')]);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    await report(server, `${keys} keys, at rest (MB):`);
    const result = await autocannon({ url: `${server.url}/api/0/projects/bench/listed/keys/?per_page=100`, headers: { authorization: `Bearer ${seeded.token}` }, connections: 50, duration: 3 });
    if (result.non2xx > 0) throw new Error(`${result.non2xx} non-2xx answers`);
    await report(server, `${keys} keys, after the list (MB):`);
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
