import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { InvalidTransitionError } from '@chatops/domain';
import {
  alertInstance,
  alertNotification,
  PostgresServer,
  resolved,
  startPostgres,
} from '@chatops/testing';
import { Clock } from '@chatops/domain';
import { DatabaseHandle, openDatabase } from '../src/database';
import { migrateToLatest } from '../src/migrations';
import {
  AUDIT_LIMITS,
  createRepositories,
  Deployment,
  Repositories,
  StaleDeploymentError,
} from '../src/index';

/** One suite, two backends: every repository behaves the same on SQLite and PostgreSQL. */
class ManualClock implements Clock {
  constructor(private time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

interface Backend {
  name: string;
  /** A fresh, empty, migrated database for each test. */
  open(): Promise<DatabaseHandle>;
  /** A second connection to the same database, as another API replica would have. */
  openReplica(handle: DatabaseHandle): Promise<DatabaseHandle>;
}

let postgres: PostgresServer;
let pgDatabaseCount = 0;

const sqliteBackend: Backend = {
  name: 'sqlite',
  open: async () =>
    openDatabase(`sqlite:${join(mkdtempSync(join(tmpdir(), 'chatops-db-')), 'test.sqlite')}`),
  openReplica: async (handle) => openDatabase(handle.location),
};

const postgresBackend: Backend = {
  name: 'postgres',
  open: async () => {
    const name = `test_${++pgDatabaseCount}`;
    const admin = await openDatabase(postgres.url, { migrate: false });
    await sql.raw(`CREATE DATABASE ${name}`).execute(admin.db);
    await admin.close();
    return openDatabase(postgres.url.replace(/\/postgres$/, `/${name}`));
  },
  openReplica: async (handle) => openDatabase(handle.location),
};

beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
});

describe.each([sqliteBackend, postgresBackend])('repositories on $name', (backend) => {
  let handle: DatabaseHandle;
  let clock: ManualClock;
  let repos: Repositories;

  beforeEach(async () => {
    handle = await backend.open();
    clock = new ManualClock();
    repos = createRepositories(handle, clock);
  });

  afterEach(async () => {
    await handle.close();
  });

  describe('migrations', () => {
    it('are idempotent: a second run applies nothing', async () => {
      expect(await migrateToLatest(handle.db as never, handle.dialect)).toEqual([]);
    });

    it('answers a ping', async () => {
      await expect(handle.ping()).resolves.toBeUndefined();
    });
  });

  describe('human locks', () => {
    const alice = { id: '1', name: 'alice' };
    const bob = { id: '2', name: 'bob' };

    it('are placed once per service or environment, apply to their requests, and end by release or expiry', async () => {
      const placed = await repos.humanLocks.place({
        environment: 'prod',
        service: 'api',
        holder: alice,
        reason: 'investigating',
        durationMs: 60_000,
      });
      expect(placed).toMatchObject({
        placed: true,
        lock: { holder: alice, expiresAt: expect.any(Number) },
      });
      const rivals = await Promise.all([
        repos.humanLocks.place({
          environment: 'prod',
          service: 'api',
          holder: bob,
          reason: 'x',
          durationMs: null,
        }),
        repos.humanLocks.place({
          environment: 'prod',
          service: 'api',
          holder: bob,
          reason: 'y',
          durationMs: null,
        }),
      ]);
      expect(rivals.every((r) => !r.placed && r.heldBy.holder.id === '1')).toBe(true);
      await repos.humanLocks.place({
        environment: 'prod',
        service: '*',
        holder: bob,
        reason: 'freeze',
        durationMs: null,
      });
      expect((await repos.humanLocks.applying('prod', 'api')).map((l) => l.service).sort()).toEqual(
        ['*', 'api'],
      );
      expect((await repos.humanLocks.applying('prod', 'bot')).map((l) => l.reason)).toEqual([
        'freeze',
      ]);
      expect(await repos.humanLocks.applying('staging', 'api')).toEqual([]);
      clock.advance(60_000);
      // Expired: no longer applies, and anyone may place one anew.
      expect((await repos.humanLocks.applying('prod', 'api')).map((l) => l.service)).toEqual(['*']);
      expect(
        (
          await repos.humanLocks.place({
            environment: 'prod',
            service: 'api',
            holder: bob,
            reason: 'mine',
            durationMs: null,
          })
        ).placed,
      ).toBe(true);
      expect((await repos.humanLocks.release('prod', '*'))?.reason).toBe('freeze');
      expect(await repos.humanLocks.release('prod', '*')).toBeNull();
      expect(
        (await repos.humanLocks.inForce()).map((l) => [l.environment, l.service, l.holder.name]),
      ).toEqual([['prod', 'api', 'bob']]);
    });
  });

  describe('confirmations', () => {
    it('are used once, by their member, until they expire; a copy of the using request counts as that use', async () => {
      const made = await repos.confirmations.create({
        kind: 'rollback',
        memberId: '1',
        payload: { service: 'api', environment: 'staging', from: 3 },
        ttlMs: 60_000,
      });
      expect(await repos.confirmations.use(made.id, '2', 'confirm', 'req-x')).toMatchObject({
        used: false,
        reason: 'not-yours',
      });
      const presses = await Promise.all([
        repos.confirmations.use(made.id, '1', 'keep'),
        repos.confirmations.use(made.id, '1', 'confirm', 'req-a'),
      ]);
      expect(presses.filter((p) => p.used)).toHaveLength(1);
      const winner = presses.find((p) => p.used)!;
      expect(winner.confirmation?.payload).toEqual({
        service: 'api',
        environment: 'staging',
        from: 3,
      });
      const loser = presses.find((p) => !p.used);
      expect(loser).toMatchObject({ used: false, reason: 'used' });
      if (winner.confirmation?.decision === 'confirm')
        expect((await repos.confirmations.use(made.id, '1', 'confirm', 'req-a')).used).toBe(true);
      const late = await repos.confirmations.create({
        kind: 'rollback',
        memberId: '1',
        payload: {},
        ttlMs: 1000,
      });
      clock.advance(1000);
      expect(await repos.confirmations.use(late.id, '1', 'confirm')).toMatchObject({
        used: false,
        reason: 'expired',
      });
      expect(
        await repos.confirmations.use('0f8fad5b-d9cb-469f-a165-70867728950e', '1', 'keep'),
      ).toEqual({ used: false, reason: 'unknown', confirmation: null });
    });
  });

  describe('audit events', () => {
    const actor = { id: '111111111111111111', name: 'alice' };

    it('appends and lists newest first with filters', async () => {
      await repos.audit.append({
        actor,
        action: 'deploy',
        outcome: 'requested',
        service: 'api',
        environment: 'staging',
      });
      clock.advance(1000);
      await repos.audit.append({
        actor,
        action: 'deploy',
        outcome: 'rejected',
        service: 'api',
        environment: 'prod',
        detail: { reason: 'ref not found' },
      });
      const all = await repos.audit.list();
      expect(all.map((e) => [e.environment, e.outcome])).toEqual([
        ['prod', 'rejected'],
        ['staging', 'requested'],
      ]);
      expect(all[0]).toMatchObject({
        actor,
        occurredAt: 1_700_000_001_000,
        detail: { reason: 'ref not found' },
        source: null,
      });
      expect((await repos.audit.list({ environment: 'staging' })).length).toBe(1);
      expect((await repos.audit.list({ beforeId: all[0]!.id })).map((e) => e.id)).toEqual([
        all[1]!.id,
      ]);
    });

    it('keeps a hostile or oversized value cut and visible, never whole, and filters by actor', async () => {
      const hostile = `evil\u0000name\u001b[31m${'x'.repeat(5000)}`;
      await repos.audit.append({
        actor: { id: `9\u0000${'9'.repeat(200)}`, name: hostile },
        action: 'deploy',
        outcome: 'rejected',
        service: `api\u0000${'s'.repeat(300)}`,
        environment: 'staging',
        source: 'x'.repeat(1000),
        detail: {
          ref: hostile,
          list: Array.from({ length: 80 }, (_, i) => i),
          deep: { a: { b: { c: { d: 1 } } } },
        },
      });
      await repos.audit.append({ actor, action: 'deploy', outcome: 'succeeded' });
      const [event] = await repos.audit.list({ actorId: (await repos.audit.list())[1]!.actor.id });
      expect(event?.actor.name.startsWith('evil\\u0000name\\u001b[31mxxx')).toBe(true);
      expect(event?.actor.name).toHaveLength(AUDIT_LIMITS.actorName);
      expect(event?.actor.name).toMatch(/… \(5014 characters\)$/);
      expect(event?.actor.id).toHaveLength(AUDIT_LIMITS.actorId);
      expect(event?.service).toHaveLength(AUDIT_LIMITS.scope);
      expect(event?.source).toHaveLength(AUDIT_LIMITS.source);
      expect(String(event?.detail['ref'])).toHaveLength(AUDIT_LIMITS.detailString);
      expect(event?.detail['list']).toHaveLength(AUDIT_LIMITS.detailItems + 1);
      expect(event?.detail['deep']).toEqual({ a: { b: { c: '…' } } });
      expect((await repos.audit.list({ actorId: actor.id })).map((e) => e.outcome)).toEqual([
        'succeeded',
      ]);
    });

    it('refuses updates and deletes at the database', async () => {
      await repos.audit.append({ actor, action: 'deploy', outcome: 'succeeded' });
      await expect(
        sql`UPDATE audit_events SET outcome = 'failed'`.execute(handle.db),
      ).rejects.toThrow(/audit_events is append-only/);
      await expect(sql`DELETE FROM audit_events`.execute(handle.db)).rejects.toThrow(
        /audit_events is append-only/,
      );
      expect((await repos.audit.list())[0]?.outcome).toBe('succeeded');
    });
  });

  describe('deployments', () => {
    const request = {
      requestId: 'req-1',
      kind: 'deploy' as const,
      service: 'api',
      environment: 'prod',
      ref: 'main',
      status: 'pending_approval' as const,
      requestedBy: { id: '1', name: 'alice' },
    };

    it('creates once per request id', async () => {
      const first = await repos.deployments.create(request);
      const again = await repos.deployments.create({ ...request, ref: 'other' });
      expect(first.created).toBe(true);
      expect(again).toEqual({ deployment: first.deployment, created: false });
      expect(await repos.deployments.listRecent()).toHaveLength(1);
    });

    it('keeps what a deploy changes and what it produced, and tells its end once across replicas', async () => {
      const change = {
        target: { sha: 'a'.repeat(40), url: null, author: 'alice', title: 'Fix' },
        current: null,
        compare: null,
        unavailable: 'nothing deployed yet',
      };
      const imageDigest = `sha256:${'c'.repeat(64)}`;
      const { deployment } = await repos.deployments.create({ ...request, change, imageDigest });
      expect(deployment).toMatchObject({ change, outputs: null, imageDigest });
      expect((await repos.deployments.get(deployment.id))?.imageDigest).toBe(imageDigest);
      const updated = await repos.deployments.update(deployment.id, {
        outputs: { amiId: 'ami-0123456789abcdef0' },
      });
      expect(updated.outputs).toEqual({ amiId: 'ami-0123456789abcdef0' });
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : repos).deployments.claimEndNotice(deployment.id),
          ),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        expect(await repos.deployments.claimEndNotice(deployment.id)).toBe(false);
      } finally {
        await replica.close();
      }
    });

    it('moves through the state machine and stamps the end', async () => {
      const { deployment } = await repos.deployments.create(request);
      clock.advance(5);
      const queued = await repos.deployments.transition(deployment.id, 'queued', {
        approvedById: '2',
      });
      const dispatched = await repos.deployments.transition(deployment.id, 'dispatched', {
        runId: '42',
        runUrl: 'https://github.com/acme/chatops/actions/runs/42',
      });
      clock.advance(60_000);
      const done = await repos.deployments.transition(deployment.id, 'succeeded');
      expect([queued.status, dispatched.status, done.status]).toEqual([
        'queued',
        'dispatched',
        'succeeded',
      ]);
      expect(done).toMatchObject({
        approvedById: '2',
        runId: '42',
        finishedAt: clock.now(),
        updatedAt: clock.now(),
      });
      expect((await repos.deployments.findByRunId('42'))?.id).toBe(deployment.id);
      expect(await repos.deployments.listActive()).toEqual([]);
    });

    /** A deployment of `kind` requested now that succeeds `ms` later. */
    async function succeeded(
      kind: 'deploy' | 'redeploy' | 'rollback' | 'infra-plan',
      requestId: string,
      ms: number,
      environment = 'prod',
    ): Promise<Deployment> {
      const { deployment } = await repos.deployments.create({
        ...request,
        kind,
        requestId,
        environment,
        status: 'queued',
      });
      await repos.deployments.transition(deployment.id, 'dispatched');
      clock.advance(ms);
      return repos.deployments.transition(deployment.id, 'succeeded');
    }

    it('marks a success failed once, across replicas, and nothing that did not succeed', async () => {
      const live = await succeeded('deploy', 'live', 60_000);
      const { deployment: pending } = await repos.deployments.create({
        ...request,
        requestId: 'p',
      });
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const marks = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 ? other : repos).deployments.markFailed(live.id, 1_000 + i, `finding ${i}`),
          ),
        );
        expect(marks.filter(Boolean)).toHaveLength(1);
        const winner = marks.indexOf(true);
        expect((await repos.deployments.get(live.id))?.failure).toEqual({
          at: 1_000 + winner,
          reason: `finding ${winner}`,
        });
      } finally {
        await replica.close();
      }
      expect(await repos.deployments.markFailed(pending.id, 1, 'x')).toBe(false);
      expect((await repos.deployments.get(pending.id))?.failure).toBeNull();
    });

    it('finds the latest success requested before a time and live within the window before it', async () => {
      const first = await succeeded('deploy', 'first', 60_000);
      clock.advance(10 * 60_000);
      const second = await succeeded('redeploy', 'second', 30_000);
      await succeeded('infra-plan', 'plan', 1_000);
      await succeeded('deploy', 'staging', 1_000, 'staging');
      const at = clock.now();
      const find = (when: number, windowMs: number) =>
        repos.deployments.findPreceding({
          service: 'api',
          environment: 'prod',
          at: when,
          windowMs,
        });
      expect((await find(at, 60 * 60_000))?.id).toBe(second.id);
      // Requested before the alert, live after it started (it fired during the rollout).
      expect((await find((second.createdAt + (second.finishedAt ?? 0)) / 2, 60_000))?.id).toBe(
        second.id,
      );
      // Before the second was requested: the first, while it is within the window.
      expect((await find(second.createdAt - 1, 11 * 60_000))?.id).toBe(first.id);
      expect(await find(second.createdAt - 1, 60_000)).toBeNull();
      expect(await find(first.createdAt - 1, 60 * 60_000)).toBeNull();
      // Newest first, and only what was requested before.
      expect(
        (await repos.deployments.listRecent({ before: second.createdAt })).map((d) => d.id),
      ).toEqual([first.id]);
    });

    it('rejects transitions the state machine forbids and leaves the record as it was', async () => {
      const { deployment } = await repos.deployments.create(request);
      await expect(repos.deployments.transition(deployment.id, 'running')).rejects.toBeInstanceOf(
        InvalidTransitionError,
      );
      expect((await repos.deployments.get(deployment.id))?.status).toBe('pending_approval');
    });

    it('lets only one of two racing replicas win a transition', async () => {
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const { deployment } = await repos.deployments.create(request);
        const results = await Promise.allSettled([
          repos.deployments.transition(deployment.id, 'queued'),
          other.deployments.transition(deployment.id, 'rejected'),
        ]);
        const won = results.filter(
          (r): r is PromiseFulfilledResult<Deployment> => r.status === 'fulfilled',
        );
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        // The loser either raced the conditional update or saw the winner's status first.
        const reason = lost[0]!.reason as Error;
        expect(
          reason instanceof StaleDeploymentError || reason instanceof InvalidTransitionError,
        ).toBe(true);
        expect((await repos.deployments.get(deployment.id))?.status).toBe(won[0]!.value.status);
      } finally {
        await replica.close();
      }
    });

    it('refuses to act on a status the caller read before another replica moved it', async () => {
      const { deployment } = await repos.deployments.create(request);
      const seen = deployment.status;
      await repos.deployments.transition(deployment.id, 'queued', {}, seen);
      await expect(
        repos.deployments.transition(deployment.id, 'rejected', {}, seen),
      ).rejects.toThrow(new StaleDeploymentError(deployment.id, 'pending_approval'));
      expect((await repos.deployments.get(deployment.id))?.status).toBe('queued');
    });

    it('keeps patches without touching the status', async () => {
      const { deployment } = await repos.deployments.create(request);
      const updated = await repos.deployments.update(deployment.id, {
        channelId: 'c1',
        messageId: 'm1',
      });
      expect(updated).toMatchObject({
        status: 'pending_approval',
        channelId: 'c1',
        messageId: 'm1',
      });
      expect(await repos.deployments.listActive()).toHaveLength(1);
    });

    it('keeps the run progress, thread and approval expiry', async () => {
      const { deployment } = await repos.deployments.create({
        ...request,
        workflow: 'deploy.yml',
        approvalsRequired: 2,
        expiresAt: clock.now() + 1000,
      });
      expect(deployment).toMatchObject({
        workflow: 'deploy.yml',
        approvalsRequired: 2,
        progress: [],
      });
      const job = {
        id: '7',
        name: 'build',
        status: 'in_progress',
        conclusion: null,
        startedAt: null,
        completedAt: null,
        htmlUrl: null,
        steps: [],
      };
      const updated = await repos.deployments.update(deployment.id, {
        threadId: 't1',
        progress: [job],
        lastWebhookAt: 5,
      });
      expect(updated).toMatchObject({ threadId: 't1', progress: [job], lastWebhookAt: 5 });
      expect(await repos.deployments.listExpiredApprovals()).toEqual([]);
      clock.advance(1000);
      expect((await repos.deployments.listExpiredApprovals()).map((d) => d.id)).toEqual([
        deployment.id,
      ]);
    });

    it('gives one poll per interval to one of two replicas, only while the run is in flight', async () => {
      const { deployment } = await repos.deployments.create({ ...request, status: 'queued' });
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        expect(await repos.deployments.claimPoll(deployment.id, 5000)).toBe(false);
        await repos.deployments.transition(deployment.id, 'dispatched', { runId: '9' });
        const claims = await Promise.all([
          repos.deployments.claimPoll(deployment.id, 5000),
          other.deployments.claimPoll(deployment.id, 5000),
        ]);
        expect(claims.filter(Boolean)).toHaveLength(1);
        clock.advance(4999);
        expect(await other.deployments.claimPoll(deployment.id, 5000)).toBe(false);
        clock.advance(1);
        expect(await other.deployments.claimPoll(deployment.id, 5000)).toBe(true);
      } finally {
        await replica.close();
      }
    });

    it('claims looks at a queued deployment only for a caller that asks for queued ones (the reconciler)', async () => {
      const { deployment } = await repos.deployments.create({ ...request, status: 'queued' });
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const claims = await Promise.all([
          repos.deployments.claimPoll(deployment.id, 5000, ['queued']),
          other.deployments.claimPoll(deployment.id, 5000, ['queued']),
        ]);
        expect(claims.filter(Boolean)).toHaveLength(1);
        clock.advance(5000);
        await repos.deployments.transition(deployment.id, 'dispatched', { runId: '9' });
        expect(await other.deployments.claimPoll(deployment.id, 5000, ['queued'])).toBe(false);
      } finally {
        await replica.close();
      }
    });
  });

  describe('bakes', () => {
    const bake = {
      deploymentId: 'd-1',
      service: 'api',
      environment: 'prod',
      startedAt: 1_000,
      endsAt: 601_000,
    };

    it('starts once, gives one look per interval and one verdict across replicas', async () => {
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const both = (i: number) => (i % 2 ? other : repos);
        const starts = await Promise.all(
          Array.from({ length: 10 }, (_, i) => both(i).bakes.start(bake)),
        );
        expect(starts.filter(Boolean)).toHaveLength(1);
        expect(await repos.bakes.get('d-1')).toMatchObject({
          ...bake,
          status: 'baking',
          finding: null,
          action: null,
        });
        const looks = await Promise.all(
          Array.from({ length: 10 }, (_, i) => both(i).bakes.claimCheck('d-1', 5_000)),
        );
        expect(looks.filter(Boolean)).toHaveLength(1);
        clock.advance(5_000);
        expect(await other.bakes.claimCheck('d-1', 5_000)).toBe(true);
        const verdicts = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            both(i).bakes.decide('d-1', {
              status: i % 3 ? 'failed' : 'healthy',
              finding: `finding ${i}`,
              foundAt: i,
            }),
          ),
        );
        expect(verdicts.filter(Boolean)).toHaveLength(1);
        const winner = verdicts.indexOf(true);
        expect(await repos.bakes.get('d-1')).toMatchObject({
          status: winner % 3 ? 'failed' : 'healthy',
          finding: `finding ${winner}`,
          foundAt: winner,
        });
        // Decided: no more looks.
        clock.advance(60_000);
        expect(await repos.bakes.claimCheck('d-1', 5_000)).toBe(false);
      } finally {
        await replica.close();
      }
    });

    it('gives a failed bake’s action to one replica, again after the lease, never once recorded', async () => {
      await repos.bakes.start(bake);
      await repos.bakes.start({ ...bake, deploymentId: 'd-2' });
      await repos.bakes.decide('d-1', { status: 'failed', finding: 'ApiDown fired', foundAt: 5 });
      expect((await repos.bakes.listOpen()).map((b) => [b.deploymentId, b.status])).toEqual([
        ['d-1', 'failed'],
        ['d-2', 'baking'],
      ]);
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const claims = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? other : repos).bakes.claimAction('d-1', 30_000),
          ),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
        // The claimant died: after the lease another takes it.
        clock.advance(30_000);
        expect(await other.bakes.claimAction('d-1', 30_000)).toBe(true);
        await other.bakes.recordAction('d-1', 'rolled-back', 'to v1');
        await repos.bakes.recordAction('d-1', 'pinged', 'late');
        clock.advance(60_000);
        expect(await repos.bakes.claimAction('d-1', 30_000)).toBe(false);
        expect(await repos.bakes.get('d-1')).toMatchObject({
          action: 'rolled-back',
          actionDetail: 'to v1',
        });
        expect(await repos.bakes.claimAction('d-2', 30_000)).toBe(false);
        expect((await repos.bakes.listOpen()).map((b) => b.deploymentId)).toEqual(['d-2']);
        expect(await repos.bakes.known(['d-1', 'd-3'])).toEqual(new Set(['d-1']));
      } finally {
        await replica.close();
      }
    });
  });

  describe('approvals', () => {
    it('counts one approval per person, in order', async () => {
      expect(await repos.approvals.record('d1', { id: '1', name: 'alice' })).toBe(true);
      clock.advance(10);
      expect(await repos.approvals.record('d1', { id: '2', name: 'bob' })).toBe(true);
      expect(await repos.approvals.record('d1', { id: '1', name: 'alice' })).toBe(false);
      expect((await repos.approvals.list('d1')).map((a) => a.approver.name)).toEqual([
        'alice',
        'bob',
      ]);
      expect(await repos.approvals.list('d2')).toEqual([]);
    });
  });

  describe('environment locks', () => {
    const key = { environment: 'prod', service: 'api' };
    const lease = (holderId: string, ttlMs = 60_000) => ({
      ...key,
      holderId,
      holderName: holderId,
      reason: `deploy by ${holderId}`,
      ttlMs,
    });

    it('gives the lease to one holder and tells the next who holds it since when', async () => {
      const first = await repos.locks.acquire(lease('alice'));
      clock.advance(1000);
      const second = await repos.locks.acquire(lease('bob'));
      expect(first).toMatchObject({
        acquired: true,
        lock: { holderId: 'alice', acquiredAt: 1_700_000_000_000 },
      });
      expect(second).toEqual({
        acquired: false,
        heldBy: expect.objectContaining({
          holderId: 'alice',
          acquiredAt: 1_700_000_000_000,
          reason: 'deploy by alice',
        }),
      });
    });

    it('is re-entrant for its holder, extending without resetting the start', async () => {
      await repos.locks.acquire(lease('alice', 1000));
      clock.advance(500);
      const again = await repos.locks.acquire(lease('alice', 1000));
      expect(again).toMatchObject({
        acquired: true,
        lock: { acquiredAt: 1_700_000_000_000, expiresAt: 1_700_000_001_500 },
      });
    });

    it("lets a crashed holder's lease expire and be taken over", async () => {
      await repos.locks.acquire(lease('crashed', 1000));
      clock.advance(1000);
      expect(await repos.locks.get(key)).toBeNull();
      expect(await repos.locks.acquire(lease('bob'))).toMatchObject({
        acquired: true,
        lock: { holderId: 'bob' },
      });
      expect(await repos.locks.renew(key, 'crashed', 1000)).toBe(false);
    });

    it('releases only for its holder', async () => {
      await repos.locks.acquire(lease('alice'));
      expect(await repos.locks.release(key, 'bob')).toBe(false);
      expect(await repos.locks.get(key)).not.toBeNull();
      expect(await repos.locks.release(key, 'alice')).toBe(true);
      expect(await repos.locks.listActive()).toEqual([]);
    });

    it('renews a live lease', async () => {
      await repos.locks.acquire(lease('alice', 1000));
      clock.advance(900);
      expect(await repos.locks.renew(key, 'alice', 1000)).toBe(true);
      clock.advance(900);
      expect((await repos.locks.get(key))?.holderId).toBe('alice');
    });

    it('keeps locks on other services and environments independent', async () => {
      await repos.locks.acquire(lease('alice'));
      const other = await repos.locks.acquire({ ...lease('bob'), service: 'bot' });
      expect(other.acquired).toBe(true);
      expect((await repos.locks.listActive('prod')).map((l) => l.service)).toEqual(['api', 'bot']);
    });

    it('grants exactly one of many concurrent requests from two replicas', async () => {
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const attempts = Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : repos).locks.acquire(lease(`holder-${i}`)),
        );
        const results = await Promise.all(attempts);
        const winners = results.filter((r) => r.acquired);
        expect(winners).toHaveLength(1);
        const winner = winners[0]!.acquired ? winners[0]!.lock.holderId : '';
        for (const loser of results.filter((r) => !r.acquired)) {
          expect(loser).toMatchObject({ heldBy: { holderId: winner } });
        }
      } finally {
        await replica.close();
      }
    });

    it('lets an operator force a release', async () => {
      await repos.locks.acquire(lease('alice'));
      expect((await repos.locks.forceRelease(key))?.holderId).toBe('alice');
      expect(await repos.locks.get(key)).toBeNull();
    });
  });

  describe('webhook deliveries', () => {
    it('records a delivery once and knows it afterwards', async () => {
      expect(await repos.webhookDeliveries.seen('github', 'd-1')).toBe(false);
      expect(await repos.webhookDeliveries.record('github', 'd-1', 'workflow_run')).toBe(true);
      expect(await repos.webhookDeliveries.record('github', 'd-1', 'workflow_run')).toBe(false);
      expect(await repos.webhookDeliveries.seen('github', 'd-1')).toBe(true);
      expect(await repos.webhookDeliveries.seen('alertmanager', 'd-1')).toBe(false);
    });
  });

  describe('alert heartbeats', () => {
    it('notes each arrival and answers what was stored before', async () => {
      expect(await repos.alertHeartbeats.beat('Watchdog')).toBeNull();
      const first = clock.now();
      clock.advance(60_000);
      expect(await repos.alertHeartbeats.beat('Watchdog')).toEqual({
        name: 'Watchdog',
        lastSeenAt: first,
        missingSince: null,
      });
      expect(await repos.alertHeartbeats.get('Watchdog')).toMatchObject({
        lastSeenAt: first + 60_000,
      });
      expect(await repos.alertHeartbeats.get('Other')).toBeNull();
    });

    it('lets exactly one of many concurrent callers mark it missing, and one clear it', async () => {
      await repos.alertHeartbeats.beat('Watchdog');
      const seen = clock.now();
      const marks = await Promise.all(
        Array.from({ length: 10 }, () => repos.alertHeartbeats.markMissing('Watchdog', seen)),
      );
      expect(marks.filter(Boolean)).toHaveLength(1);
      expect(await repos.alertHeartbeats.get('Watchdog')).toMatchObject({ missingSince: seen });
      const clears = await Promise.all(
        Array.from({ length: 10 }, () => repos.alertHeartbeats.clearMissing('Watchdog', seen)),
      );
      expect(clears.filter(Boolean)).toHaveLength(1);
      expect(await repos.alertHeartbeats.get('Watchdog')).toMatchObject({ missingSince: null });
    });

    it('does not mark missing what arrived since it was read', async () => {
      await repos.alertHeartbeats.beat('Watchdog');
      const seen = clock.now();
      clock.advance(1000);
      await repos.alertHeartbeats.beat('Watchdog');
      expect(await repos.alertHeartbeats.markMissing('Watchdog', seen)).toBe(false);
      expect(await repos.alertHeartbeats.get('Watchdog')).toMatchObject({ missingSince: null });
    });
  });

  describe('alert groups', () => {
    it('folds notifications into one group and remembers its message per episode', async () => {
      const a = alertInstance('a');
      const first = await repos.alertGroups.apply(alertNotification([a]));
      expect(first).toMatchObject({ changed: true, newEpisode: false });
      expect(first.group.state).toMatchObject({ status: 'firing', episode: 1 });
      const again = await repos.alertGroups.apply(alertNotification([a]));
      expect(again.changed).toBe(false);
      expect(again.group.revision).toBe(first.group.revision);

      await repos.alertGroups.recordMessage(first.group.id, {
        episode: 1,
        revision: 1,
        channelId: '100',
        messageId: '200',
      });
      const done = await repos.alertGroups.apply(alertNotification([resolved(a)]));
      expect(done.group).toMatchObject({ messageId: '200', messageEpisode: 1 });
      expect(done.group.state.status).toBe('resolved');

      const refire = await repos.alertGroups.apply(
        alertNotification([alertInstance('a', { startsAt: '2026-11-21T11:00:00Z' })]),
      );
      expect(refire.newEpisode).toBe(true);
      await repos.alertGroups.recordMessage(first.group.id, {
        episode: 2,
        revision: 3,
        channelId: '100',
        messageId: '300',
      });
      // A slow worker still holding episode 1 cannot point the group back at the old message.
      await repos.alertGroups.recordMessage(first.group.id, {
        episode: 1,
        revision: 1,
        channelId: '100',
        messageId: '200',
      });
      expect(await repos.alertGroups.get(first.group.id)).toMatchObject({
        messageId: '300',
        messageEpisode: 2,
        revision: 3,
        renderedRevision: 3,
      });
    });

    it('keeps every alert when two replicas fold into one group at once', async () => {
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const fingerprints = Array.from({ length: 12 }, (_, i) => `fp${i}`);
        await Promise.all(
          fingerprints.map((fp, i) =>
            (i % 2 ? other : repos).alertGroups.apply(alertNotification([alertInstance(fp)])),
          ),
        );
        const last = await repos.alertGroups.apply(alertNotification([alertInstance('fp0')]));
        expect(last.group.state.alerts.map((x) => x.fingerprint).sort()).toEqual(
          [...fingerprints].sort(),
        );
      } finally {
        await replica.close();
      }
    });

    it('records a silence, and forgets it when the group fires again', async () => {
      const a = alertInstance('a');
      const { group } = await repos.alertGroups.apply(alertNotification([a]));
      await repos.alertGroups.recordSilence(group.id, { id: 'sil-1', until: 5, by: 'alice' });
      const silenced = await repos.alertGroups.get(group.id);
      expect(silenced?.silence).toEqual({ id: 'sil-1', until: 5, by: 'alice' });
      expect(silenced?.revision).toBe(group.revision + 1);
      expect((await repos.alertGroups.findBySilence('sil-1')).map((g) => g.id)).toEqual([group.id]);
      await repos.alertGroups.apply(alertNotification([resolved(a)]));
      const refire = await repos.alertGroups.apply(
        alertNotification([alertInstance('a', { startsAt: '2026-11-21T11:00:00Z' })]),
      );
      expect(refire.group.silence).toBeNull();
    });

    it('decides where an episode is shown once, whichever of two replicas asks first', async () => {
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const { group } = await repos.alertGroups.apply(alertNotification([alertInstance('a')]));
        const page = await repos.alertDigests.open('100');
        const decisions = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 ? other : repos).alertGroups.place(group.id, 1, i % 3 ? page : null),
          ),
        );
        const digestIds = new Set(decisions.map((d) => d?.digestId));
        expect(digestIds.size).toBe(1);
        expect(decisions.every((d) => d?.placementEpisode === 1)).toBe(true);
        // A later episode is decided anew.
        expect(await repos.alertGroups.place(group.id, 2, null)).toMatchObject({
          placementEpisode: 2,
          digestId: null,
        });
      } finally {
        await replica.close();
      }
    });

    it('gives each of many concurrent groups its own slot on a digest page, a page at a time', async () => {
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const first = await repos.alertDigests.open('100');
        const slots = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            (i % 2 ? other : repos).alertDigests.takeSlot('100', 60_000, 25),
          ),
        );
        // 24 slots were left: 24 takers get one, the rest are told to open a page.
        expect(slots.filter((s) => s === first)).toHaveLength(24);
        expect(slots.filter((s) => s === null)).toHaveLength(6);
        expect((await repos.alertDigests.get(first))?.groupCount).toBe(25);
        const second = await repos.alertDigests.open('100');
        expect(await repos.alertDigests.takeSlot('100', 60_000, 25)).toBe(second);
        expect(await repos.alertDigests.stormGoesOn('100', 60_000)).toBe(true);
        expect(await repos.alertDigests.stormGoesOn('200', 60_000)).toBe(false);
        clock.advance(60_001);
        expect(await repos.alertDigests.stormGoesOn('100', 60_000)).toBe(false);
        expect(await repos.alertDigests.takeSlot('100', 60_000, 25)).toBeNull();
      } finally {
        await replica.close();
      }
    });

    it('lists the groups a digest page shows and records what it rendered', async () => {
      const a = await repos.alertGroups.apply(alertNotification([alertInstance('a')]));
      const b = await repos.alertGroups.apply(
        alertNotification([alertInstance('b')], { groupKey: 'b' }),
      );
      const page = await repos.alertDigests.open('100');
      await repos.alertGroups.place(a.group.id, 1, page);
      await repos.alertGroups.place(b.group.id, 1, null);
      expect((await repos.alertGroups.onDigest(page)).map((g) => g.id)).toEqual([a.group.id]);
      await repos.alertGroups.recordRendered(a.group.id, a.group.revision, { pinged: true });
      expect(await repos.alertGroups.get(a.group.id)).toMatchObject({
        renderedRevision: a.group.revision,
        pingedEpisode: 1,
      });
      const digest = await repos.alertDigests.get(page);
      expect(digest?.postNonce).toMatch(/^[0-9a-f]{24}$/);
      await repos.alertDigests.recordMessage(page, '555');
      await repos.alertDigests.forgetMessage(page);
      const forgotten = await repos.alertDigests.get(page);
      expect(forgotten?.messageId).toBeNull();
      expect(forgotten?.postNonce).not.toBe(digest?.postNonce);
    });
  });

  describe('outbox', () => {
    const message = (key: string) => ({ topic: 'alerts', dedupeKey: key, payload: { group: key } });

    it('enqueues once per dedupe key', async () => {
      const first = await repos.outbox.enqueue(message('g1'));
      const again = await repos.outbox.enqueue({ ...message('g1'), payload: { other: true } });
      expect(first.created).toBe(true);
      expect(again).toEqual({ id: first.id, created: false });
      expect((await repos.outbox.get(first.id))?.payload).toEqual({ group: 'g1' });
    });

    it('enqueues a batch in one transaction, keeping the first of each dedupe key', async () => {
      const { id } = await repos.outbox.enqueue(message('a'));
      const results = await repos.outbox.enqueueAll([message('a'), message('b'), message('b')]);
      expect(results).toEqual([
        { id, created: false },
        { id: expect.any(Number), created: true },
        { id: results[1]?.id, created: false },
      ]);
      expect(await repos.outbox.enqueueAll([])).toEqual([]);
    });

    it('claims due messages oldest first and counts attempts', async () => {
      await repos.outbox.enqueue(message('a'));
      clock.advance(1);
      await repos.outbox.enqueue(message('b'));
      await repos.outbox.enqueue({ ...message('later'), availableAt: clock.now() + 10_000 });
      const claimed = await repos.outbox.claim({ workerId: 'w1', limit: 10, leaseMs: 30_000 });
      expect(claimed.map((m) => [m.dedupeKey, m.attempts])).toEqual([
        ['a', 1],
        ['b', 1],
      ]);
    });

    it('does not hand a claimed message to a second worker until the lease ends', async () => {
      const { id } = await repos.outbox.enqueue(message('a'));
      expect(await repos.outbox.claim({ workerId: 'w1', limit: 10, leaseMs: 30_000 })).toHaveLength(
        1,
      );
      expect(await repos.outbox.claim({ workerId: 'w2', limit: 10, leaseMs: 30_000 })).toHaveLength(
        0,
      );
      clock.advance(30_000);
      const takenOver = await repos.outbox.claim({ workerId: 'w2', limit: 10, leaseMs: 30_000 });
      expect(takenOver.map((m) => [m.id, m.attempts])).toEqual([[id, 2]]);
      // The first worker lost its claim and can no longer complete the message.
      expect(await repos.outbox.complete(id, 'w1')).toBe(false);
      expect(await repos.outbox.complete(id, 'w2')).toBe(true);
      expect((await repos.outbox.get(id))?.status).toBe('delivered');
    });

    it('splits a batch between concurrent workers without overlap', async () => {
      for (let i = 0; i < 20; i++) await repos.outbox.enqueue(message(`m${i}`));
      const replica = await backend.openReplica(handle);
      try {
        const other = createRepositories(replica, clock);
        const [a, b] = await Promise.all([
          repos.outbox.claim({ workerId: 'w1', limit: 15, leaseMs: 30_000 }),
          other.outbox.claim({ workerId: 'w2', limit: 15, leaseMs: 30_000 }),
        ]);
        const ids = [...a, ...b].map((m) => m.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids.length).toBe(20);
      } finally {
        await replica.close();
      }
    });

    it('retries after the delay and keeps the error', async () => {
      const { id } = await repos.outbox.enqueue(message('a'));
      await repos.outbox.claim({ workerId: 'w1', limit: 1, leaseMs: 30_000 });
      expect(await repos.outbox.retry(id, 'w1', '429 retry_after 2.5', 2500)).toBe(true);
      expect(await repos.outbox.claim({ workerId: 'w1', limit: 1, leaseMs: 30_000 })).toEqual([]);
      clock.advance(2500);
      const [again] = await repos.outbox.claim({ workerId: 'w1', limit: 1, leaseMs: 30_000 });
      expect(again).toMatchObject({ id, attempts: 2, lastError: '429 retry_after 2.5' });
    });

    it('makes retries due now: the soonest one, or all of them', async () => {
      const ids: number[] = [];
      for (const key of ['a', 'b', 'c']) {
        const { id } = await repos.outbox.enqueue(message(key));
        ids.push(id);
      }
      await repos.outbox.claim({ workerId: 'w1', limit: 3, leaseMs: 30_000 });
      await repos.outbox.retry(ids[0] as number, 'w1', 'outage', 60_000);
      await repos.outbox.retry(ids[1] as number, 'w1', 'outage', 10_000);
      expect(await repos.outbox.expedite('alerts', 1)).toBe(1);
      const [probe] = await repos.outbox.claim({ workerId: 'w2', limit: 3, leaseMs: 30_000 });
      expect(probe?.id).toBe(ids[1]);
      await repos.outbox.retry(ids[1] as number, 'w2', 'outage', 10_000);
      // The one still claimed (c) is not touched.
      expect(await repos.outbox.expedite('alerts')).toBe(2);
      expect(await repos.outbox.expedite('other')).toBe(0);
      const due = await repos.outbox.claim({ workerId: 'w3', limit: 3, leaseMs: 30_000 });
      expect(due.map((m) => m.id).sort()).toEqual([ids[0], ids[1]].sort());
    });

    it('prunes delivered messages of a topic, and with them their dedupe keys', async () => {
      const { id } = await repos.outbox.enqueue(message('a'));
      const pending = await repos.outbox.enqueue(message('b'));
      await repos.outbox.claim({ workerId: 'w1', limit: 1, leaseMs: 30_000 });
      await repos.outbox.complete(id, 'w1');
      clock.advance(1000);
      expect(await repos.outbox.prune('alerts', clock.now())).toBe(1);
      expect(await repos.outbox.get(id)).toBeNull();
      expect(await repos.outbox.get(pending.id)).not.toBeNull();
      expect((await repos.outbox.enqueue(message('a'))).created).toBe(true);
    });

    it('reports the backlog per topic, including failed messages', async () => {
      const { id } = await repos.outbox.enqueue(message('a'));
      await repos.outbox.enqueue(message('b'));
      await repos.outbox.enqueue({ topic: 'deploys', dedupeKey: 'd', payload: {} });
      await repos.outbox.claim({ workerId: 'w1', limit: 1, leaseMs: 30_000, topic: 'alerts' });
      expect(await repos.outbox.fail(id, 'w1', 'channel deleted')).toBe(true);
      expect(await repos.outbox.backlog()).toEqual([
        { topic: 'alerts', pending: 1, failed: 1, oldestPendingAt: 1_700_000_000_000 },
        { topic: 'deploys', pending: 1, failed: 0, oldestPendingAt: 1_700_000_000_000 },
      ]);
    });
  });
});

describe('openDatabase', () => {
  it('creates the SQLite file and its directory on first start', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'chatops-db-')), 'nested', 'data');
    const handle = await openDatabase(`sqlite:${dir}/chatops.sqlite`);
    expect(handle.location).toBe(`sqlite:${dir}/chatops.sqlite`);
    await handle.close();
  });

  it('redacts the password from the PostgreSQL location', async () => {
    const handle = await openDatabase(postgres.url.replace('chatops@', 'chatops:s3cret@'));
    expect(handle.location).not.toContain('s3cret');
    expect(handle.location).toContain('***');
    await handle.close();
  });

  it('reports a lost idle PostgreSQL connection and recovers on the next query', async () => {
    const errors: Error[] = [];
    const handle = await openDatabase(postgres.url, {
      onIdleConnectionError: (e) => errors.push(e),
    });
    const admin = await openDatabase(postgres.url, { migrate: false });
    try {
      await handle.ping(); // leaves a connection idle in the pool
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
                where pid <> pg_backend_pid() and backend_type = 'client backend'`.execute(
        admin.db,
      );
      for (let i = 0; i < 100 && errors.length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(errors[0]?.message).toMatch(/terminat/i);
      await expect(handle.ping()).resolves.toBeUndefined();
    } finally {
      await admin.close();
      await handle.close();
    }
  });

  it('fails with the reason when PostgreSQL is unreachable', async () => {
    await expect(openDatabase('postgres://nobody@127.0.0.1:1/none')).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
