/**
 * `npm run bench`: every benchmark in turn, results in bench/results/latest.json. Not a test:
 * nothing here fails the build; the numbers are for reading and comparing.
 */
import { runIngestBench } from './ingest.ts';
import { writeResults } from './lib.ts';

const benchmarks = [runIngestBench];

const results = [];
for (const bench of benchmarks) results.push(await bench());
const file = writeResults('latest.json', { results });
process.stdout.write(`\nwritten ${file}\n`);
