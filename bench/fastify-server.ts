/**
 * A second reference for the ingest benchmark: Fastify alone, reading any body as bytes and
 * answering the same JSON, without clientkeys' application. It separates what the framework
 * costs from what clientkeys adds. Prints its URL.
 */
import Fastify from 'fastify';

const body = JSON.stringify({ id: process.env.BENCH_EVENT_ID ?? '0'.repeat(32) });
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, payload, done) => done(null, payload));
app.post('/api/:project_id/envelope/', (_request, reply) => reply.type('application/json').send(body));

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
