import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createRepositories, DatabaseHandle, openDatabase } from '@chatops/persistence';
import { PostgresServer, startPostgres } from '@chatops/testing';
import {
  catalog,
  githubRepositoryFor,
  member,
  RecordingNotifier,
  useGithubStandIn,
} from '../test/fixtures';
import { DeploymentRefusal, DeploymentService } from './deployment.service';

/** Two API replicas sharing one database race to deploy to one environment. */
let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.stop());

const currentGithub = useGithubStandIn();

const backends = [
  {
    name: 'sqlite',
    url: async () => `sqlite:${join(mkdtempSync(join(tmpdir(), 'chatops-race-')), 'db.sqlite')}`,
  },
  {
    name: 'postgres',
    url: async () => {
      const admin = await openDatabase(postgres.url, { migrate: false });
      const name = `race_${Date.now()}`;
      await sql.raw(`CREATE DATABASE ${name}`).execute(admin.db);
      await admin.close();
      return postgres.url.replace(/\/postgres$/, `/${name}`);
    },
  },
];

describe.each(backends)('concurrent deploys on $name', (backend) => {
  let replicas: DatabaseHandle[];

  beforeEach(async () => {
    const url = await backend.url();
    const first = await openDatabase(url);
    replicas = [first, await openDatabase(url)];
  });
  afterEach(() => Promise.all(replicas.map((r) => r.close())));

  it('makes exactly one dispatch for two simultaneous deploys to one environment', async () => {
    const services = replicas.map(
      (handle) =>
        new DeploymentService(
          catalog,
          createRepositories(handle),
          githubRepositoryFor(currentGithub()),
          new RecordingNotifier(),
        ),
    );
    for (let round = 0; round < 3; round++) {
      const environment = 'staging';
      const service = ['api', 'bot', 'api'][round] as string;
      if (round === 2) {
        // Free the first round's lease so the race starts from an unlocked environment again.
        await createRepositories(replicas[0]!).locks.forceRelease({ environment, service });
      }
      const results = await Promise.allSettled(
        services.map((s, i) =>
          s.request({
            requestId: `race-${round}-${i}`,
            kind: 'deploy',
            service,
            environment,
            ref: 'main',
            ...member(String(i + 1), `user${i + 1}`, 'deployer'),
          }),
        ),
      );
      const dispatched = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(dispatched).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]?.reason).toBeInstanceOf(DeploymentRefusal);
      expect((refused[0]?.reason as DeploymentRefusal).reason).toBe('locked');
    }
    expect(currentGithub().countRequests(/dispatches$/)).toBe(3);
  });
});
