import { Refusal } from '@chatops/domain';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createRepositories, DatabaseHandle, openDatabase } from '@chatops/persistence';
import { PostgresServer, startPostgres } from '@chatops/testing';
import {
  catalog,
  fleetRepositoryFor,
  githubRepositoryFor,
  member,
  RecordingNotifier,
  useAwsStandIn,
  useGithubStandIn,
} from './fixtures';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor } from '../src/fleet-executor';

/** Two API replicas sharing one database race to deploy to one environment. */
let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.stop());

const currentGithub = useGithubStandIn();
const currentAws = useAwsStandIn();

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
      expect(refused[0]?.reason).toBeInstanceOf(Refusal);
      expect((refused[0]?.reason as Refusal).reason).toBe('locked');
    }
    expect(currentGithub().countRequests(/dispatches$/)).toBe(3);
  });

  /** Twenty copies of one request (a client retrying, a double-click), spread over both replicas. */
  async function copiesOf(
    request: Parameters<DeploymentService['request']>[0],
    services: DeploymentService[],
  ) {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => services[i % services.length]!.request(request)),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed.map((f) => String(f.reason))).toEqual([]);
    return results.map(
      (r) => (r as PromiseFulfilledResult<Awaited<ReturnType<DeploymentService['request']>>>).value,
    );
  }

  function servicesOn(notifier: RecordingNotifier) {
    return replicas.map(
      (handle) =>
        new DeploymentService(
          catalog,
          createRepositories(handle),
          githubRepositoryFor(currentGithub()),
          notifier,
          {
            fleet: new FleetExecutor(catalog, fleetRepositoryFor(currentAws()), {
              region: 'eu-west-1',
            }),
          },
        ),
    );
  }

  it('dispatches twenty concurrent copies of one deploy request exactly once', async () => {
    const notifier = new RecordingNotifier();
    const outcomes = await copiesOf(
      {
        requestId: 'dup-deploy',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        ...member('1', 'user1', 'deployer'),
      },
      servicesOn(notifier),
    );
    expect(outcomes.filter((o) => o.outcome === 'dispatched')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'existing')).toHaveLength(19);
    expect(new Set(outcomes.map((o) => o.deployment.id)).size).toBe(1);
    expect(currentGithub().countRequests(/dispatches$/)).toBe(1);
    const audit = await createRepositories(replicas[0]!).audit.list({ limit: 100 });
    expect(audit.filter((e) => e.action === 'deploy' && e.outcome === 'requested')).toHaveLength(1);
    // The lease is the original's, and is still held while its run goes on.
    const lock = await createRepositories(replicas[1]!).locks.get({
      environment: 'staging',
      service: 'api',
    });
    expect(lock?.holderId).toBe('dup-deploy');
  });

  it('records twenty concurrent copies of one approval request once: one audit entry, one message', async () => {
    const notifier = new RecordingNotifier();
    const outcomes = await copiesOf(
      {
        requestId: 'dup-prod',
        kind: 'deploy',
        service: 'api',
        environment: 'prod',
        ref: 'main',
        ...member('1', 'user1', 'deployer'),
      },
      servicesOn(notifier),
    );
    expect(outcomes.filter((o) => o.outcome === 'pending_approval')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'existing')).toHaveLength(19);
    const audit = await createRepositories(replicas[0]!).audit.list({ limit: 100 });
    expect(audit.filter((e) => e.outcome === 'requested')).toHaveLength(1);
    expect(notifier.changes).toHaveLength(1);
    expect(currentGithub().countRequests(/dispatches$/)).toBe(0);
  });

  it('sends twenty concurrent copies of one redeploy to the hosts exactly once', async () => {
    const outcomes = await copiesOf(
      {
        requestId: 'dup-redeploy',
        kind: 'redeploy',
        service: 'api',
        environment: 'staging',
        version: 'v2',
        ...member('1', 'user1', 'deployer'),
      },
      servicesOn(new RecordingNotifier()),
    );
    expect(outcomes.filter((o) => o.outcome === 'dispatched')).toHaveLength(1);
    expect(currentAws().calls.filter((c) => c.action === 'SSM.SendCommand')).toHaveLength(1);
    expect(currentAws().calls.filter((c) => c.action === 'SSM.PutParameter')).toHaveLength(1);
  });

  it('records twenty concurrent copies of one approval once, and dispatches once', async () => {
    const notifier = new RecordingNotifier();
    const services = servicesOn(notifier);
    const { deployment } = await services[0]!.request({
      requestId: 'approve-copies',
      kind: 'deploy',
      service: 'api',
      environment: 'prod',
      ref: 'main',
      ...member('1', 'user1', 'deployer'),
    });
    const approver = member('2', 'user2', 'approver');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => services[i % 2]!.approve(deployment.id, approver)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const outcomes = results.map(
      (r) => (r as PromiseFulfilledResult<{ outcome: string }>).value.outcome,
    );
    expect(outcomes.filter((o) => o === 'dispatched')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'existing')).toHaveLength(19);
    expect(currentGithub().countRequests(/dispatches$/)).toBe(1);
    const audit = await createRepositories(replicas[0]!).audit.list({ limit: 100 });
    expect(audit.filter((e) => e.action === 'deploy.approve')).toHaveLength(1);
    expect(await createRepositories(replicas[1]!).approvals.list(deployment.id)).toHaveLength(1);
  });

  it('sends twenty concurrent copies of one cancel to GitHub once, and audits one cancellation', async () => {
    currentGithub().timing.stepMs = 500;
    const services = servicesOn(new RecordingNotifier());
    const { deployment } = await services[0]!.request({
      requestId: 'cancel-copies',
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      ref: 'main',
      ...member('1', 'user1', 'deployer'),
    });
    const canceller = member('1', 'user1', 'deployer');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => services[i % 2]!.cancel(deployment.id, canceller)),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(
      new Set(results.map((r) => (r as PromiseFulfilledResult<{ outcome: string }>).value.outcome)),
    ).toEqual(new Set(['cancelling']));
    expect(currentGithub().countRequests(/\/cancel$/)).toBe(1);
    const audit = await createRepositories(replicas[0]!).audit.list({ limit: 100 });
    expect(audit.filter((e) => e.action === 'deploy.cancel')).toHaveLength(1);
    // Someone else is told who asked first, and reaches nothing either.
    await expect(
      services[1]!.cancel(deployment.id, member('3', 'user3', 'approver', 'sre')),
    ).rejects.toThrow(/^user1 already asked to cancel it/);
    expect(currentGithub().countRequests(/\/cancel$/)).toBe(1);
  });
});
