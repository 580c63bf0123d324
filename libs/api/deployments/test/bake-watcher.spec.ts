import type { DiscordChannelRepository, PostOptions } from '@chatops/discord-channel';
import type { RenderedMessage } from '@chatops/discord-ui';
import { bakeLine, renderDeploymentMessage } from '@chatops/discord-ui';
import type { BackwardsConfirmation, BakePolicy, Catalog } from '@chatops/domain';
import type { Deployment, Repositories } from '@chatops/persistence';
import type { PrometheusAlert, PrometheusRepository, PrometheusSample } from '@chatops/prometheus';
import { PrometheusError } from '@chatops/prometheus';
import { BakeWatcher } from '../src/bake-watcher';
import { DeploymentService } from '../src/deployment.service';
import { FleetExecutor, recordedBadVersions } from '../src/fleet-executor';
import {
  catalog as baseCatalog,
  fleetRepositoryFor,
  followFleetToEnd,
  member,
  RecordingNotifier,
  refusal,
  useAwsStandIn,
  useInMemoryRepositories,
} from './fixtures';

const MINUTE = 60_000;
/** The tests' time: the system's, moved on by `skew` to jump to a window's end. */
let skew = 0;
const clock = { now: () => Date.now() + skew };
const currentRepos = useInMemoryRepositories(clock);
const currentAws = useAwsStandIn();

const alice = member('100000000000000001', 'alice', 'deployer');
const sre = member('100000000000000002', 'sam', 'sre');

/** A Prometheus whose alerts and query answers the test sets, or that is away. */
class FakePrometheus implements PrometheusRepository {
  firing: PrometheusAlert[] = [];
  samples = new Map<string, number[]>();
  away = false;
  readonly queries: string[] = [];
  async alerts(): Promise<PrometheusAlert[]> {
    if (this.away) throw new PrometheusError('Prometheus is unreachable (ECONNREFUSED)', null);
    return this.firing;
  }
  async query(promql: string): Promise<PrometheusSample[]> {
    this.queries.push(promql);
    return (this.samples.get(promql) ?? []).map((value) => ({ labels: {}, value }));
  }
}

/** The Discord channel as the watcher uses it: what it posted, with the options. */
class RecordingChannel {
  readonly posts: {
    channelId: string;
    message: Partial<RenderedMessage>;
    options?: PostOptions;
  }[] = [];
  async postMessage(channelId: string, message: Partial<RenderedMessage>, options?: PostOptions) {
    this.posts.push({ channelId, message, options });
    return { id: String(900 + this.posts.length) };
  }
  async editMessage(): Promise<void> {
    // The watcher never edits: the notifier renders the deployment message.
    throw new Error('the bake watcher does not edit messages');
  }
  async startThread(_c: string, messageId: string) {
    return { id: messageId };
  }
}

function catalogBaking(policy: Partial<BakePolicy>): Catalog {
  return {
    ...baseCatalog,
    environments: baseCatalog.environments.map((e) =>
      e.name === 'staging'
        ? { ...e, bake: { minutes: 10, onFailure: 'ping', checks: [], ...policy } }
        : e,
    ),
  };
}

let repos: Repositories;
let prometheus: FakePrometheus;
let channel: RecordingChannel;
let notifier: RecordingNotifier;
let fleet: FleetExecutor;
let seq = 0;

beforeEach(() => {
  skew = 0;
  repos = currentRepos();
  prometheus = new FakePrometheus();
  channel = new RecordingChannel();
  notifier = new RecordingNotifier();
  fleet = new FleetExecutor(baseCatalog, fleetRepositoryFor(currentAws()), {
    badVersions: recordedBadVersions(repos),
  });
});

function setUp(policy: Partial<BakePolicy> = {}) {
  const catalog = catalogBaking(policy);
  const service = new DeploymentService(catalog, repos, null, notifier, { fleet, clock });
  const watcher = () =>
    new BakeWatcher(
      catalog,
      repos,
      prometheus,
      (d) => service.rollbackAfterBake(d),
      channel as unknown as DiscordChannelRepository,
      notifier,
      { lookEveryMs: 0, clock },
    );
  return { service, watcher };
}

/** A redeploy of `version` by `who` (confirmed when asked), followed to its success. */
async function redeployed(
  service: DeploymentService,
  version: string,
  who = alice,
  environment = 'staging',
  name = 'api',
): Promise<Deployment> {
  const ask = (confirmationId?: string) =>
    service.request({
      requestId: `bake-${++seq}`,
      kind: 'redeploy',
      service: name,
      environment,
      version,
      channelId: '444',
      ...(confirmationId ? { confirmationId } : {}),
      ...who,
    });
  // Over another deployment's bake window the member is asked first: they confirm.
  const { deployment } = await ask().catch((error: unknown) => {
    const confirmation = (error as { details?: { confirmation?: { id: string } } }).details
      ?.confirmation;
    if (!confirmation) throw error;
    return ask(confirmation.id);
  });
  const ended = await followFleetToEnd(repos, fleet, notifier, deployment.id);
  expect(ended.status).toBe('succeeded');
  // The message the notifier would have posted, for the ping to reply to.
  return repos.deployments.update(deployment.id, { messageId: '555' });
}

const alertOn = (name: string, activeAt: number, labels: Record<string, string> = {}) => ({
  labels: { alertname: name, service: 'api', environment: 'staging', ...labels },
  annotations: {},
  state: 'firing' as const,
  activeAt,
});

describe('the bake window', () => {
  it('bakes a redeploy where the environment bakes, and calls it healthy at the end', async () => {
    const { service, watcher } = setUp({
      checks: [{ name: 'error-rate', query: 'errors{service="{service}"}', failAbove: 0.05 }],
    });
    const staging = await redeployed(service, 'v2');
    // A restart on prod, which does not bake (and needs no approval).
    const prod = await redeployed(service, 'v1', sre, 'prod');
    // One already firing before the redeploy was asked for is not its doing; pending ones wait.
    prometheus.firing = [
      alertOn('Old', staging.createdAt - MINUTE),
      { ...alertOn('Pending', clock.now()), state: 'pending' },
    ];
    prometheus.samples.set('errors{service="api"}', [0.01]);
    await watcher().tick();
    const bake = await repos.bakes.get(staging.id);
    expect(bake).toMatchObject({
      status: 'baking',
      startedAt: staging.finishedAt,
      endsAt: (staging.finishedAt ?? 0) + 10 * MINUTE,
    });
    expect(await repos.bakes.get(prod.id)).toBeNull();
    // A restart of what runs is no change: nothing to bake.
    const restart = await redeployed(service, 'v1', alice, 'staging', 'bot');
    await watcher().tick();
    expect(await repos.bakes.get(restart.id)).toBeNull();
    expect(bakeLine(bake!)).toBe(
      `🧪 Baking: watched until <t:${Math.floor(bake!.endsAt / 1000)}:R>`,
    );
    // One read of each check per look: two passes so far.
    expect(prometheus.queries).toEqual(['errors{service="api"}', 'errors{service="api"}']);
    expect(notifier.changes.filter((id) => id === staging.id).length).toBeGreaterThan(0);

    skew = 10 * MINUTE;
    await watcher().tick();
    const done = await repos.bakes.get(staging.id);
    expect(done).toMatchObject({ status: 'healthy', action: null });
    expect(bakeLine(done!)).toBe('✅ Healthy after 10m 0s');
    expect((await repos.deployments.get(staging.id))?.failure).toBeNull();
    expect(channel.posts).toEqual([]);
    // The deployment message shows it under the success line.
    const message = renderDeploymentMessage(
      (await repos.deployments.get(staging.id))!,
      [],
      clock.now(),
      {
        bake: done,
      },
    );
    expect(message.content.split('\n')[1]).toBe('✅ Healthy after 10m 0s');
  });

  it('rolls back automatically when an alert fires, as the platform for the requester, once across replicas', async () => {
    const { service, watcher } = setUp({ onFailure: 'rollback' });
    const bad = await redeployed(service, 'v2');
    await watcher().tick();
    skew = 3 * MINUTE;
    prometheus.firing = [alertOn('ApiHighErrorRate', (bad.finishedAt ?? 0) + 3 * MINUTE)];
    // Two replicas at once: one verdict, one rollback.
    await Promise.all([watcher().tick(), watcher().tick()]);
    const bake = await repos.bakes.get(bad.id);
    expect(bake).toMatchObject({
      status: 'failed',
      finding: 'ApiHighErrorRate fired 3m 0s after the redeploy',
      action: 'rolled-back',
      actionDetail: 'to v1',
    });
    expect(bakeLine(bake!)).toBe(
      '⚠️ ApiHighErrorRate fired 3m 0s after the redeploy · rolled back by the platform (to v1)',
    );
    expect((await repos.deployments.get(bad.id))?.failure).toEqual({
      at: (bad.finishedAt ?? 0) + 3 * MINUTE,
      reason: 'bake: ApiHighErrorRate fired 3m 0s after the redeploy',
    });
    const rollbacks = (await repos.deployments.listRecent()).filter((d) => d.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({
      requestedBy: { id: 'system:bake', name: 'ChatOps for alice' },
      ref: 'v1',
    });
    expect(await followFleetToEnd(repos, fleet, notifier, rollbacks[0]!.id)).toMatchObject({
      status: 'succeeded',
    });
    const requested = (await repos.audit.list()).find(
      (a) => a.action === 'rollback' && a.outcome === 'requested',
    );
    expect(requested).toMatchObject({ actor: { id: 'system:bake', name: 'ChatOps for alice' } });
    expect(rollbacks[0]?.requestId).toBe(`bake-rollback:${bad.id}`);
    expect(channel.posts).toEqual([]);
    // Later passes change nothing.
    await watcher().tick();
    expect(
      (await repos.deployments.listRecent()).filter((d) => d.kind === 'rollback'),
    ).toHaveLength(1);
  });

  it('takes over an action whose replica died after asking for the rollback, without a second one', async () => {
    const { service, watcher } = setUp({ onFailure: 'rollback' });
    const bad = await redeployed(service, 'v2');
    await watcher().tick();
    await repos.bakes.decide(bad.id, { status: 'failed', finding: 'X fired', foundAt: 1 });
    // The dead replica claimed the action and asked for the rollback, then died.
    expect(await repos.bakes.claimAction(bad.id, 120_000)).toBe(true);
    await service.rollbackAfterBake(bad);
    await watcher().tick();
    expect((await repos.bakes.get(bad.id))?.action).toBeNull();
    skew = 3 * MINUTE;
    await watcher().tick();
    expect(await repos.bakes.get(bad.id)).toMatchObject({ action: 'rolled-back' });
    expect(
      (await repos.deployments.listRecent()).filter((d) => d.kind === 'rollback'),
    ).toHaveLength(1);
    expect(channel.posts).toEqual([]);
  });

  it('pings the requester with the Roll back button in manual mode, and on a failing check', async () => {
    const { service, watcher } = setUp({
      checks: [
        { name: 'error-rate', query: 'rate5xx{environment="{environment}"}', failAbove: 0.05 },
      ],
    });
    const bad = await redeployed(service, 'v2');
    prometheus.samples.set('rate5xx{environment="staging"}', [0.01, 0.123]);
    await watcher().tick();
    const bake = await repos.bakes.get(bad.id);
    expect(bake).toMatchObject({ status: 'failed', action: 'pinged' });
    expect(bake?.finding).toMatch(
      /^error-rate was 0\.123 \(above 0\.05\) \d+s after the redeploy$/,
    );
    expect(channel.posts).toHaveLength(1);
    const [ping] = channel.posts;
    expect(ping?.channelId).toBe('444');
    expect(ping?.options).toEqual({ replyTo: '555', mentionUsers: [alice.actor.id] });
    expect(ping?.message.content).toMatch(
      new RegExp(
        `^<@${alice.actor.id}> ⚠️ The bake of redeploy api\\\\@v2 → staging failed: error\\\\-rate was 0\\.123 \\\\\\(above 0\\.05\\\\\\) \\d+s after the redeploy\\. Roll back to \`v1\`\\?$`,
      ),
    );
    expect(ping?.message.components?.[0]?.components[0]).toMatchObject({
      label: 'Roll back to v1',
      custom_id: 'alert:rollback:staging:api:v1',
    });
    expect((await repos.deployments.listRecent()).some((d) => d.kind === 'rollback')).toBe(false);
    await watcher().tick();
    expect(channel.posts).toHaveLength(1);
  });

  it('turns the automatic rollback into a ping when someone holds a lock, saying why', async () => {
    const { service, watcher } = setUp({ onFailure: 'rollback' });
    const bad = await redeployed(service, 'v2');
    await service.locks.lock({
      ...sre,
      service: 'api',
      environment: 'staging',
      reason: 'investigating',
    });
    prometheus.firing = [alertOn('ApiDown', (bad.finishedAt ?? 0) + 1_000)];
    await watcher().tick();
    const bake = await repos.bakes.get(bad.id);
    expect(bake).toMatchObject({ status: 'failed', action: 'rollback-refused' });
    expect(bake?.actionDetail).toMatch(/sam/);
    expect(channel.posts[0]?.message.content).toMatch(
      /failed: ApiDown fired 1s after the redeploy\. Not rolled back automatically: .*sam.*\. Roll back to `v1`\?$/,
    );
    expect((await repos.deployments.listRecent()).some((d) => d.kind === 'rollback')).toBe(false);
  });

  it('does not roll back over a newer deployment, and shows alert names as typed', async () => {
    const { service, watcher } = setUp({ onFailure: 'rollback' });
    const bad = await redeployed(service, 'v2');
    await watcher().tick();
    // A minute on, someone redeploys v3; the alert started before that (it is not v3's doing).
    skew = MINUTE;
    await redeployed(service, 'v3');
    prometheus.firing = [alertOn('@everyone **x**', (bad.finishedAt ?? 0) + 1_000)];
    await watcher().tick();
    const bake = await repos.bakes.get(bad.id);
    expect(bake?.action).toBe('rollback-refused');
    expect(bake?.actionDetail).toBe('redeploy api@v3 → staging was requested since');
    expect(bakeLine(bake!)).toBe(
      '⚠️ \\@everyone \\*\\*x\\*\\* fired 1s after the redeploy · not rolled back (redeploy api\\@v3 → staging was requested since)',
    );
    expect((await repos.deployments.listRecent()).some((d) => d.kind === 'rollback')).toBe(false);
  });

  it('asks to confirm a redeploy over another one’s bake window, then goes ahead once confirmed', async () => {
    const { service, watcher } = setUp();
    const first = await redeployed(service, 'v2');
    await watcher().tick();
    const ask = () =>
      service.request({
        requestId: `over-${++seq}`,
        kind: 'redeploy',
        service: 'api',
        environment: 'staging',
        version: 'v3',
        channelId: '444',
        ...alice,
      });
    const asked = await refusal(ask());
    expect(asked.reason).toBe('needs-confirmation');
    expect(asked.message).toMatch(
      /^redeploy api@v2 → staging is in its bake window until <t:\d+:t>: confirm to go ahead$/,
    );
    const confirmation = (asked.details as { confirmation: BackwardsConfirmation }).confirmation;
    expect(confirmation).toMatchObject({
      older: false,
      baking: { deploymentId: first.id, what: 'redeploy api@v2 → staging', by: 'alice' },
    });
    const confirmed = await service.request({
      requestId: `over-${++seq}`,
      kind: 'redeploy',
      confirmationId: confirmation.id,
      channelId: '444',
      ...alice,
    });
    expect(confirmed.outcome).toBe('dispatched');
    expect(confirmed.deployment).toMatchObject({ version: 'v3', kind: 'redeploy' });
    // The first bake still ends on its own.
    await followFleetToEnd(repos, fleet, notifier, confirmed.deployment.id);
    skew = 11 * MINUTE;
    await watcher().tick();
    expect((await repos.bakes.get(first.id))?.status).toBe('healthy');
  });

  it('stays baking while Prometheus cannot be read, and says so', async () => {
    const warnings: string[] = [];
    const { service } = setUp();
    const catalog = catalogBaking({});
    const bad = await redeployed(service, 'v2');
    prometheus.away = true;
    const watcher = new BakeWatcher(
      catalog,
      repos,
      prometheus,
      async () => {
        throw new Error('not called');
      },
      null,
      notifier,
      {
        lookEveryMs: 0,
        clock,
        log: {
          warn: (_o: object, m: string) => {
            warnings.push(m);
          },
        },
      },
    );
    await watcher.tick();
    skew = 11 * MINUTE;
    await watcher.tick();
    expect((await repos.bakes.get(bad.id))?.status).toBe('baking');
    expect(warnings).toEqual([
      'could not look at a bake; trying again on the next pass',
      'could not look at a bake; trying again on the next pass',
    ]);
    prometheus.away = false;
    await watcher.tick();
    expect((await repos.bakes.get(bad.id))?.status).toBe('healthy');
  });
});
