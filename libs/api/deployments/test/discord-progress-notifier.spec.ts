import { RestDiscordChannelRepository } from '@chatops/discord-channel';
import { DiscordSimulator } from '@chatops/discord-sim';
import type { Repositories } from '@chatops/persistence';
import { useInMemoryRepositories } from './fixtures';
import { DiscordProgressNotifier } from '../src/discord-progress-notifier';

const TOKEN = `sim.${'n'.repeat(60)}`;
const current = useInMemoryRepositories();
let repos: Repositories;
let sim: DiscordSimulator;
let notifier: DiscordProgressNotifier;

beforeEach(async () => {
  repos = current();
  sim = await new DiscordSimulator({ botToken: TOKEN }).start();
  notifier = new DiscordProgressNotifier(
    repos,
    new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl }),
    { minIntervalMs: 50 },
  );
});
afterEach(() => sim.stop());

const job = (status: string, conclusion: string | null) => ({
  id: '7',
  name: 'build',
  status,
  conclusion,
  startedAt: '2026-11-21T10:00:00Z',
  completedAt: conclusion ? '2026-11-21T10:00:09Z' : null,
  htmlUrl: null,
  steps: [
    {
      number: 1,
      name: 'Build image',
      status,
      conclusion,
      startedAt: '2026-11-21T10:00:00Z',
      completedAt: conclusion ? '2026-11-21T10:00:09Z' : null,
    },
  ],
});

describe('DiscordProgressNotifier', () => {
  it('posts one message per deployment, edits it as it progresses and threads the job detail', async () => {
    const { deployment } = await repos.deployments.create({
      requestId: 'r1',
      kind: 'deploy',
      service: 'api',
      environment: 'prod',
      ref: 'main',
      status: 'pending_approval',
      requestedBy: { id: '1', name: 'alice' },
      channelId: sim.channelId,
      approvalsRequired: 1,
    });
    notifier.changed(deployment.id);
    await notifier.idle();
    const [approval] = sim.channelMessages();
    expect(approval?.content).toMatch(/^🕓 \*\*Awaiting approval\*\*: deploy api@main → prod/);
    expect(JSON.stringify(approval?.components)).toContain('"label":"Approve"');

    await repos.deployments.transition(deployment.id, 'queued');
    await repos.deployments.transition(deployment.id, 'dispatched', {
      runId: '42',
      runUrl: 'https://github.com/acme/chatops/actions/runs/42',
    });
    // A burst of changes is coalesced into few edits, the last state winning.
    notifier.changed(deployment.id);
    await repos.deployments.transition(deployment.id, 'running', {
      progress: [job('in_progress', null)],
    });
    notifier.changed(deployment.id);
    await repos.deployments.update(deployment.id, { progress: [job('completed', 'success')] });
    notifier.changed(deployment.id);
    await repos.deployments.transition(deployment.id, 'succeeded');
    notifier.changed(deployment.id);
    await notifier.idle();

    const messages = sim.channelMessages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.content).toMatch(
      /^✅ Succeeded: deploy api@main → prod in \d+s · run \[#42\]/,
    );
    expect(sim.requests.filter((r) => r.startsWith('PATCH')).length).toBeLessThanOrEqual(3);
    const stored = await repos.deployments.get(deployment.id);
    expect(stored?.threadId).not.toBeNull();
    expect(sim.channelMessages(stored?.threadId as string).map((m) => m.content)).toEqual([
      '✅ **build** success (9s)\n✅ 1. Build image (9s)',
    ]);
  });

  it('pings the approver role on the request, then the requester by a reply when it ends, once', async () => {
    const approvers = '234567890123456789';
    const requester = { id: '345678901234567890', name: 'alice' };
    const pinging = (logs?: { failedJobLogTail(): Promise<string | null> }) =>
      new DiscordProgressNotifier(
        repos,
        new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl }),
        {
          minIntervalMs: 10,
          approverRoleOf: (environment) => (environment === 'prod' ? approvers : null),
          ...(logs ? { logs } : {}),
        },
      );
    const first = pinging();
    const { deployment } = await repos.deployments.create({
      requestId: 'r-ping',
      kind: 'deploy',
      service: 'api',
      environment: 'prod',
      ref: 'main',
      status: 'pending_approval',
      requestedBy: requester,
      channelId: sim.channelId,
      approvalsRequired: 1,
    });
    first.changed(deployment.id);
    await first.idle();
    const [request] = sim.channelMessages();
    expect(request?.content).toContain(`<@&${approvers}>`);
    expect(request?.pinged).toEqual({ roles: [approvers], users: [], everyone: false });

    await repos.deployments.transition(deployment.id, 'queued');
    await repos.deployments.transition(deployment.id, 'dispatched', { runId: '43', runUrl: null });
    await repos.deployments.transition(deployment.id, 'running', {
      progress: [job('completed', 'failure')],
    });
    await repos.deployments.transition(deployment.id, 'failed');
    // A replica restarted meanwhile: another notifier renders the end, then a copy renders again.
    const second = pinging({ failedJobLogTail: async () => 'step output\n##[error]exit code 1' });
    second.changed(deployment.id);
    await second.idle();
    first.changed(deployment.id);
    await first.idle();

    const messages = sim.channelMessages();
    expect(messages).toHaveLength(2);
    const [edited, reply] = messages;
    // The request no longer mentions the approvers once decided; an edit notifies nobody.
    expect(edited?.content).not.toContain('<@&');
    expect(reply?.content).toMatch(
      new RegExp(`^<@${requester.id}> ❌ Failed: deploy api@main → prod`),
    );
    expect(reply?.pinged).toEqual({ roles: [], users: [requester.id], everyone: false });
    expect(reply?.message_reference?.message_id).toBe(request?.id);
    // The failed job's log, in the thread.
    const stored = await repos.deployments.get(deployment.id);
    const [detail] = sim.channelMessages(stored?.threadId as string);
    expect(detail?.content).toContain('```\nstep output\n##[error]exit code 1\n```');
  });

  it('does not ping a requester about the end of what they cancelled themselves', async () => {
    const requester = { id: '345678901234567890', name: 'alice' };
    const other = { id: '456789012345678901', name: 'bob' };
    const ended = async (requestId: string, canceller: { id: string; name: string }) => {
      const { deployment } = await repos.deployments.create({
        requestId,
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        status: 'queued',
        requestedBy: requester,
        channelId: sim.channelId,
      });
      await repos.deployments.claimCancel(deployment.id, canceller);
      await repos.deployments.transition(deployment.id, 'cancelled');
      notifier.changed(deployment.id);
      await notifier.idle();
    };
    await ended('r-self', requester);
    expect(sim.channelMessages().filter((m) => m.pinged?.users.length)).toEqual([]);
    await ended('r-other', other);
    const replies = sim.channelMessages().filter((m) => m.pinged?.users.length);
    expect(replies.map((m) => m.pinged)).toEqual([
      { roles: [], users: [requester.id], everyone: false },
    ]);
  });

  it('keeps going when Discord refuses an edit', async () => {
    const { deployment } = await repos.deployments.create({
      requestId: 'r2',
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      ref: 'main',
      status: 'queued',
      requestedBy: { id: '1', name: 'alice' },
      channelId: '999999999999999999',
    });
    const warnings: string[] = [];
    const logged = new DiscordProgressNotifier(
      repos,
      new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl }),
      { log: { warn: (_o, msg) => warnings.push(msg) } },
    );
    logged.changed(deployment.id);
    await logged.idle();
    expect(warnings).toEqual(['could not update the deployment message']);
  });
});
