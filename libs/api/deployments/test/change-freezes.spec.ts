import { catalogSchema } from '@chatops/domain';
import type { Repositories } from '@chatops/persistence';
import {
  catalog as baseCatalog,
  fleetRepositoryFor,
  followFleetToEnd,
  githubRepositoryFor,
  member,
  RecordingNotifier,
  refusal,
  useAwsStandIn,
  useGithubStandIn,
  useInMemoryRepositories,
} from './fixtures';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor, recordedBadVersions } from '../src/fleet-executor';
import { FleetStatusReader } from '../src/fleet-status-reader';

// Staging normally needs no approval; a weekend freeze (Berlin time) and a year-end range hold it.
const catalog = catalogSchema.parse({
  ...baseCatalog,
  environments: [
    {
      name: 'staging',
      freezes: [
        {
          name: 'weekend',
          timeZone: 'Europe/Berlin',
          weekly: { from: 'fri 16:00', to: 'mon 09:00' },
        },
        { name: 'year-end', dates: { from: '2026-12-20 00:00', to: '2027-01-04 09:00' } },
      ],
    },
    { name: 'prod', requiresApproval: true, approvalTimeoutMinutes: 30 },
  ],
});

const WEDNESDAY_NOON = Date.parse('2026-12-02T12:00:00Z');
const FRIDAY_EVENING = Date.parse('2026-12-04T17:00:00Z');

/** The platform's clock, set to a moment of the week and running on from there (pollers need time to pass). */
let setAt = Date.now();
let startedAt = WEDNESDAY_NOON;
const clock = { now: () => startedAt + (Date.now() - setAt) };
const setNow = (at: number) => {
  startedAt = at;
  setAt = Date.now();
};
const currentRepos = useInMemoryRepositories(clock);
const currentGithub = useGithubStandIn();
const currentAws = useAwsStandIn();
let repos: Repositories;
let service: DeploymentService;
let fleet: FleetExecutor;
let notifier: RecordingNotifier;
let seq = 0;

const alice = member('100', 'alice', 'deployer');
const sam = member('300', 'sam', 'sre');

beforeEach(() => {
  repos = currentRepos();
  notifier = new RecordingNotifier();
  setNow(WEDNESDAY_NOON);
  fleet = new FleetExecutor(catalog, fleetRepositoryFor(currentAws()), {
    region: 'eu-west-1',
    badVersions: recordedBadVersions(repos),
  });
  service = new DeploymentService(catalog, repos, githubRepositoryFor(currentGithub()), notifier, {
    fleet,
    clock,
  });
});

const ask = (
  kind: 'deploy' | 'redeploy' | 'rollback',
  extra: Record<string, unknown> = {},
  who = alice,
) =>
  service.request({
    requestId: `freeze-${++seq}`,
    kind,
    service: 'api',
    environment: 'staging',
    ...(kind === 'deploy' ? { ref: 'main' } : {}),
    ...who,
    ...extra,
  });

const dispatches = () => currentGithub().countRequests(/dispatches$/);
const commands = () => currentAws().calls.filter((c) => c.action === 'SSM.SendCommand').length;

describe('change freezes', () => {
  it('turn a staging deploy into an approval request naming the freeze; another member releases it', async () => {
    setNow(FRIDAY_EVENING);
    const held = await ask('deploy');
    expect(held.outcome).toBe('pending_approval');
    expect(held.deployment).toMatchObject({
      status: 'pending_approval',
      approvalsRequired: 1,
      freeze: 'change freeze "weekend" (weekly fri 16:00 → mon 09:00 (Europe/Berlin))',
    });
    expect(dispatches()).toBe(0);
    const requested = (await repos.audit.list({ limit: 5 })).find((e) => e.action === 'deploy');
    expect(requested?.detail).toMatchObject({ freeze: expect.stringContaining('"weekend"') });

    // Never the requester, even where the environment itself needs no approval.
    expect((await refusal(service.approve(held.deployment.id, alice))).reason).toBe('denied');
    const released = await service.approve(held.deployment.id, sam);
    expect(released.outcome).toBe('dispatched');
    expect(dispatches()).toBe(1);
  });

  it("count the held request's approval window on the platform's clock, not the machine's", async () => {
    setNow(FRIDAY_EVENING);
    const held = await ask('deploy');
    // The default window (30 minutes), from the clock's Friday evening.
    const window = (held.deployment.expiresAt ?? 0) - FRIDAY_EVENING;
    expect(window).toBeGreaterThanOrEqual(30 * 60_000);
    expect(window).toBeLessThan(30 * 60_000 + 5_000);

    setNow(FRIDAY_EVENING + 31 * 60_000);
    expect(await refusal(service.approve(held.deployment.id, sam))).toMatchObject({
      reason: 'expired',
    });
    expect((await repos.deployments.get(held.deployment.id))?.status).toBe('expired');
    expect(dispatches()).toBe(0);
  });

  it('hold a redeploy to a new version, never a restart of what runs or a rollback', async () => {
    const upgraded = await ask('redeploy', { version: 'v2' });
    expect(upgraded.outcome).toBe('dispatched');
    expect((await followFleetToEnd(repos, fleet, notifier, upgraded.deployment.id)).status).toBe(
      'succeeded',
    );
    setNow(Date.parse('2026-12-24T10:00:00Z'));
    const sent = commands();

    const newVersion = await ask('redeploy', { version: 'v3' });
    expect(newVersion.outcome).toBe('pending_approval');
    expect(newVersion.deployment.freeze).toMatch(/^change freeze "year-end"/);

    const restart = await ask('redeploy', { version: 'v2' });
    expect(restart.outcome).toBe('dispatched');
    expect(restart.deployment.freeze).toBeNull();
    await followFleetToEnd(repos, fleet, notifier, restart.deployment.id);

    const rollback = await ask('rollback');
    expect(rollback.outcome).toBe('dispatched');
    expect(rollback.deployment).toMatchObject({ ref: 'v1', fromVersion: 'v2', freeze: null });
    expect(commands()).toBe(sent + 2);
  });

  it('show in /status while in force', async () => {
    const reader = new FleetStatusReader(catalog, repos, fleet, clock);
    setNow(FRIDAY_EVENING);
    const frozen = await reader.read();
    expect(frozen.environments.map((e) => [e.name, e.freeze])).toEqual([
      ['staging', 'change freeze "weekend" (weekly fri 16:00 → mon 09:00 (Europe/Berlin))'],
      ['prod', null],
    ]);
    setNow(WEDNESDAY_NOON);
    expect((await reader.read('staging')).environments[0]?.freeze).toBeNull();
  });

  it('leave requests alone outside their windows and in environments without freezes', async () => {
    expect((await ask('deploy')).outcome).toBe('dispatched');
    setNow(FRIDAY_EVENING);
    const prod = await ask('deploy', { environment: 'prod' });
    // Prod needs its approval anyway; no freeze is named there.
    expect(prod.deployment).toMatchObject({ status: 'pending_approval', freeze: null });
    setNow(Date.parse('2026-12-07T08:00:00Z')); // Monday 09:00 in Berlin: the window has ended.
    expect((await ask('deploy', { service: 'bot' })).outcome).toBe('dispatched');
  });
});
