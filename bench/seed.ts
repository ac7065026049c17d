/**
 * A fresh database for a benchmark: an organization, a user with a token, a project "listed" that
 * holds `keyCount` keys and an empty project "created" for the create runs. The organization, the
 * projects and the token go through clientkeys' own services; the bulk of the keys is written in
 * batched transactions, since 100,000 audited creates one by one would take longer than the bench.
 */
import { closeServices, createServices } from '../src/composition.ts';
import { loadConfig } from '../src/config.ts';
import { defaultKeyData, generateKey, KEY_STATUS } from '../src/domain/keys.ts';
import type { Actor } from '../src/services/principal.ts';
import { openDatabase, type Database } from '../src/storage/database.ts';
import type { NewProjectKey } from '../src/storage/schema.ts';

const ACTOR: Actor = { userId: null, keyId: null, label: 'bench', ipAddress: null };
const BATCH = 1000;

export interface Seeded {
  token: string;
  /** The listed project's numeric id, for the raw query of the reference server. */
  listedProjectId: number;
  /** A public key of the listed project, for ingest. */
  publicKey: string;
}

export async function seedDatabase(databaseUrl: string, keyCount: number): Promise<Seeded> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });
  // The database is opened here and handed to the services, which do not expose it.
  const db = openDatabase(config.database);
  const services = createServices(config, db);
  try {
    await db.migrate();
    const org = await services.organizations.createOrganization('bench', undefined, ACTOR);
    if (!org.ok) throw new Error(org.error);
    const user = await services.users.create('bench@example.com', {});
    if (!user.ok) throw new Error(user.error);
    await services.organizations.addMember(org.value, user.value, 'owner', undefined, ACTOR);
    const { token } = await services.credentials.issueUserToken(user.value, ['project:admin', 'org:read']);
    const listed = await services.projects.create(org.value, { name: 'listed', slug: 'listed' }, ACTOR);
    if (!listed.ok) throw new Error(listed.reason);
    const created = await services.projects.create(org.value, { name: 'created', slug: 'created' }, ACTOR);
    if (!created.ok) throw new Error(created.reason);
    // The project's Default key counts as one of its keys.
    await insertKeys(db.kysely, listed.project.id, keyCount - 1);
    return { token, listedProjectId: listed.project.id, publicKey: listed.defaultKey!.public_key };
  } finally {
    await closeServices(services);
  }
}

type Kysely = Database['kysely'];

async function insertKeys(db: Kysely, projectId: number, count: number): Promise<void> {
  const data = JSON.stringify(defaultKeyData());
  const dateAdded = new Date().toISOString();
  for (let done = 0; done < count; done += BATCH) {
    const rows: NewProjectKey[] = [];
    for (let i = done; i < Math.min(count, done + BATCH); i++) {
      rows.push({ project_id: projectId, label: `key ${i}`, public_key: generateKey(), secret_key: generateKey(), status: KEY_STATUS.active, date_added: dateAdded, data, use_case: 'user' });
    }
    // Batches of rows per statement keep under SQLite's and PostgreSQL's parameter limits.
    await db.transaction().execute(async (trx) => {
      for (let at = 0; at < rows.length; at += 100) await trx.insertInto('project_keys').values(rows.slice(at, at + 100)).execute();
    });
  }
}
