/**
 * The reference of the keys-list benchmark: Fastify alone with the raw better-sqlite3 driver,
 * running the query clientkeys runs for one page of a project's keys (store-role user keys of the
 * project, newest first, one row more than the page) and answering the rows as JSON. No
 * authentication, no paginator, no serializer: what is left when clientkeys' own work is taken away.
 * `?before=<id>` starts the page at that id, as a cursor does. Prints its URL.
 */
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const database = new Database(process.env.BENCH_SQLITE_PATH ?? '', { readonly: true });
const projectId = Number(process.env.BENCH_PROJECT_ID);
const PAGE = 100;
const columns = 'id, project_id, label, public_key, secret_key, roles, status, date_added, rate_limit_count, rate_limit_window, data, use_case, expires_at, replaced_by, replaces';
const where = `(roles & 1) = 1 AND use_case = 'user' AND project_id = ?`;
const first = database.prepare(`SELECT ${columns} FROM project_keys WHERE ${where} ORDER BY id DESC LIMIT ?`);
const from = database.prepare(`SELECT ${columns} FROM project_keys WHERE ${where} AND id <= ? ORDER BY id DESC LIMIT ?`);

const app = Fastify({ logger: false });
app.get<{ Querystring: { before?: string } }>('/keys/', (request) => {
  const before = request.query.before;
  const rows = before === undefined ? first.all(projectId, PAGE + 1) : from.all(projectId, Number(before), PAGE + 1);
  return rows.slice(0, PAGE);
});

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
