import type { Repositories } from '@chatops/persistence';
import {
  catalog,
  fleetRepositoryFor,
  githubRepositoryFor,
  member,
  RecordingNotifier,
  useAwsStandIn,
  useGithubStandIn,
  useInMemoryRepositories,
  refusal,
} from './fixtures';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor } from '../src/fleet-executor';

const currentRepos = useInMemoryRepositories();
const currentGithub = useGithubStandIn();
const currentAws = useAwsStandIn();
let repos: Repositories;
let service: DeploymentService;
let seq = 0;

const alice = member('100', 'alice', 'deployer');
const bob = member('200', 'bob', 'deployer');
const sre = member('300', 'sam', 'sre');

beforeEach(() => {
  repos = currentRepos();
  service = new DeploymentService(
    catalog,
    repos,
    githubRepositoryFor(currentGithub()),
    new RecordingNotifier(),
    {
      fleet: new FleetExecutor(catalog, fleetRepositoryFor(currentAws()), { region: 'eu-west-1' }),
    },
  );
});

const ask = (kind: 'deploy' | 'redeploy' | 'rollback', who: typeof alice, svc = 'api') =>
  service.request({
    requestId: `lock-${++seq}`,
    kind,
    service: svc,
    environment: 'staging',
    ...(kind === 'deploy' ? { ref: 'main' } : {}),
    ...(kind === 'redeploy' ? { version: `v9.${seq}` } : {}),
    ...who,
  });

describe('locks people place', () => {
  it('hold every deploy, redeploy and rollback by others, with who, since when and why; not the holder', async () => {
    await service.locks.lock({
      ...alice,
      service: 'api',
      environment: 'staging',
      reason: 'investigating <@&1>',
    });
    for (const kind of ['deploy', 'redeploy', 'rollback'] as const) {
      const held = await refusal(ask(kind, bob));
      expect(held).toMatchObject({ reason: 'locked' });
      expect(held.message).toMatch(
        /^api on staging is locked by alice since <t:\d+:R>: investigating \\<\\@&1\\>$/,
      );
    }
    expect(currentGithub().countRequests(/dispatches$/)).toBe(0);
    expect(currentAws().calls.filter((c) => c.action === 'SSM.SendCommand')).toHaveLength(0);
    // Another service is not held; the holder may still deploy.
    expect((await ask('deploy', bob, 'bot')).outcome).toBe('dispatched');
    expect((await ask('deploy', alice)).outcome).toBe('dispatched');
    const trail = (await repos.audit.list({ limit: 20 })).map((e) => [
      e.actor.name,
      e.action,
      e.outcome,
    ]);
    expect(trail).toEqual(
      expect.arrayContaining([
        ['alice', 'lock', 'succeeded'],
        ['bob', 'deploy', 'rejected'],
        ['bob', 'redeploy', 'rejected'],
        ['bob', 'rollback', 'rejected'],
      ]),
    );
  });

  it('placed while a request waits for approval hold it when it is approved', async () => {
    const { deployment } = await service.request({
      requestId: 'waits-for-approval',
      kind: 'deploy',
      service: 'api',
      environment: 'prod',
      ref: 'main',
      ...alice,
    });
    await service.locks.lock({ ...sre, service: 'api', environment: 'prod', reason: 'incident' });
    const held = await refusal(service.approve(deployment.id, member('500', 'ann', 'approver')));
    expect(held.message).toMatch(/^api on prod is locked by sam since <t:\d+:R>: incident$/);
    expect((await repos.deployments.get(deployment.id))?.status).toBe('failed');
    expect(await repos.locks.listActive()).toEqual([]);
    expect(currentGithub().countRequests(/dispatches$/)).toBe(0);
  });

  it('of a whole environment hold every service there', async () => {
    await service.locks.lock({
      ...alice,
      service: 'all',
      environment: 'staging',
      reason: 'freeze',
      durationMinutes: 30,
    });
    const held = await refusal(ask('deploy', bob, 'bot'));
    expect(held.message).toMatch(
      /^all of staging is locked by alice since <t:\d+:R>: freeze \(until <t:\d+:t>\)$/,
    );
  });

  it('are released by their holder, by someone with unlock, or by expiring; never by anyone else', async () => {
    await service.locks.lock({ ...alice, service: 'api', environment: 'staging', reason: 'hold' });
    const notYours = await refusal(
      service.locks.unlock({ ...bob, service: 'api', environment: 'staging', reason: 'mine now' }),
    );
    expect(notYours).toMatchObject({ reason: 'denied' });
    expect(notYours.message).toBe(
      "alice holds this lock: releasing another's needs the `unlock` permission on `staging`",
    );
    await service.locks.unlock({
      ...alice,
      service: 'api',
      environment: 'staging',
      reason: 'done',
    });
    expect((await ask('deploy', bob)).outcome).toBe('dispatched');

    await service.locks.lock({ ...alice, service: 'bot', environment: 'staging', reason: 'hold' });
    const released = await service.locks.unlock({
      ...sre,
      service: 'bot',
      environment: 'staging',
      reason: 'stuck: alice is away',
    });
    expect(released.holder.name).toBe('alice');
    expect((await repos.audit.list({ limit: 1 }))[0]).toMatchObject({
      actor: sre.actor,
      action: 'unlock',
      outcome: 'succeeded',
      detail: { reason: 'stuck: alice is away', heldBy: alice.actor, lockReason: 'hold' },
    });

    await service.locks.lock({
      ...alice,
      service: 'api',
      environment: 'prod',
      reason: 'short',
      durationMinutes: 1,
    });
    const later = jest.spyOn(Date, 'now').mockReturnValue(Date.now() + 61_000);
    try {
      expect(await service.locks.refusalFor('prod', 'api', bob.actor.id)).toBeNull();
    } finally {
      later.mockRestore();
    }
  });

  it('refuse a second lock, bad names and durations, and an unlock of nothing, each audited', async () => {
    await service.locks.lock({ ...alice, service: 'api', environment: 'staging', reason: 'first' });
    expect(
      (
        await refusal(
          service.locks.lock({ ...bob, service: 'api', environment: 'staging', reason: 'second' }),
        )
      ).message,
    ).toMatch(/^api on staging is locked by alice/);
    expect(
      (
        await refusal(
          service.locks.lock({
            ...bob,
            service: 'nope',
            environment: 'moon',
            reason: 'x',
            durationMinutes: 0,
          }),
        )
      ).problems,
    ).toEqual([
      'unknown environment `moon`',
      'unknown service `nope` (or `all`)',
      'duration must be 1–10080 minutes',
    ]);
    expect(
      (
        await refusal(
          service.locks.unlock({ ...bob, service: 'bot', environment: 'staging', reason: 'x' }),
        )
      ).message,
    ).toBe('bot on staging is not locked');
    const refused = (await repos.audit.list({ limit: 3 })).map((e) => [e.action, e.outcome]);
    expect(refused).toEqual([
      ['unlock', 'rejected'],
      ['lock', 'rejected'],
      ['lock', 'rejected'],
    ]);
  });
});
