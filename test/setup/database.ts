/**
 * The `postgres` project of the run (vitest.config.ts) runs the whole suite on PostgreSQL: on
 * TEST_DATABASE_URL when given (a server you run), else on a private cluster started here for the run.
 */
import type { TestProject } from 'vitest/node';
import { startCluster, type Cluster } from '../helpers/postgres-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  if (project.config.env?.TEST_DATABASE !== 'postgres') return undefined;
  let cluster: Cluster | undefined;
  let url = process.env.TEST_DATABASE_URL;
  if (!url) {
    cluster = await startCluster();
    url = cluster.url('postgres');
  }
  project.provide('postgresAdminUrl', url);
  return () => cluster?.destroy();
}
