import { MessageFlags } from 'discord.js';
import { ApiError } from '@chatops/api-client';
import { fakeComponent, fakeInteraction, fakeServices, silentLogger } from '../../test/fakes';
import type { AutocompleteChoice, AutocompleteInteraction } from '../command';
import { describeBackwards } from '../backwards-confirmation';
import { CommandDispatcher } from '../dispatcher';

const deployer = { ids: [], names: ['deployer'] };
const sre = { ids: [], names: ['sre'] };
const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';

function autocomplete(
  commandName: string,
  focused: { name: string; value: string },
): AutocompleteInteraction & { answered: AutocompleteChoice[][] } {
  const answered: AutocompleteChoice[][] = [];
  return {
    commandName,
    user: { id: '1', username: 'alice' },
    options: { getFocused: () => focused, getString: () => null },
    respond: async (choices) => answered.push(choices),
    answered,
  };
}

describe('/deploy', () => {
  it('asks the API with the interaction id as request id and answers privately with the run', async () => {
    const services = fakeServices();
    const interaction = fakeInteraction('deploy', { service: 'api', env: 'staging', ref: 'main' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, deployer);
    expect(services.requests).toEqual([
      {
        requestId: 'interaction-1',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        channelId: '444444444444444444',
        actor: { id: '222222222222222222', name: 'alice' },
        roles: { ids: [], names: ['deployer'] },
        source: 'discord:guild/333333333333333333/channel/444444444444444444',
      },
    ]);
    expect(interaction.calls[0]).toMatchObject({
      method: 'reply',
      options: {
        content:
          '🚀 Dispatched deploy api@main → staging as run [#9001](https://github.com/acme/chatops/actions/runs/9001). Progress is posted in this channel.',
        flags: MessageFlags.Ephemeral,
      },
    });
  });

  it.each([
    [409, 'locked', "api on staging is locked by bob's deploy since <t:1:R>", '⚠️'],
    [400, 'invalid', 'invalid ref: the ref contains ";"', '⚠️'],
    [403, 'denied', 'you need the `deploy` permission on `prod`', '⛔'],
    [502, 'github', 'GitHub failed when trying to dispatch the workflow (502)', '⚠️'],
  ] as const)(
    'shows the API’s %i (%s) refusal privately',
    async (status, reason, message, mark) => {
      const services = fakeServices({
        api: {
          requestDeployment: async () => {
            throw new ApiError(message, status, [], reason);
          },
        },
      });
      const interaction = fakeInteraction('deploy', { service: 'api', env: 'staging', ref: 'x' });
      expect(
        await new CommandDispatcher(services, silentLogger).dispatch(interaction, deployer),
      ).toBe('error');
      const reply = interaction.calls[0]!.options;
      expect(reply['content']).toBe(`${mark} ${message}`);
      expect(reply['flags']).toBe(MessageFlags.Ephemeral);
    },
  );

  it('asks to confirm a ref older than what runs, with the change, and deploys it once confirmed', async () => {
    const sha = (c: string) => c.repeat(40);
    const confirmation = {
      id: ID,
      expiresAt: 1_796_000_000_000,
      kind: 'deploy',
      service: 'api',
      environment: 'staging',
      target: 'v1.4.0',
      change: {
        target: { sha: sha('a'), url: null, author: 'bob', title: 'Release *v1.4.0* @here' },
        current: {
          version: sha('b'),
          commit: { sha: sha('b'), url: null, author: 'carol', title: 'Release main' },
        },
        compare: { status: 'behind', aheadBy: 0, behindBy: 3, commits: [], url: null },
        unavailable: null,
      },
    };
    const services = fakeServices({
      api: {
        requestDeployment: async (body: { confirmationId?: string | null }) => {
          services.requests.push(body);
          if (body.confirmationId)
            return {
              outcome: 'pending_approval',
              deployment: {
                id: ID,
                kind: 'deploy',
                service: 'api',
                environment: 'staging',
                ref: 'v1.4.0',
                status: 'pending_approval',
                requestedBy: { id: '222222222222222222', name: 'alice' },
                runId: null,
                runUrl: null,
                error: null,
                createdAt: 0,
                finishedAt: null,
                approvalsRequired: 1,
                expiresAt: 1_796_000_000_000,
              },
            };
          throw new ApiError(
            '`v1.4.0` is older than what runs on staging: confirm to go back',
            409,
            [],
            'needs-confirmation',
            { confirmation },
          );
        },
      },
    });
    const interaction = fakeInteraction('deploy', {
      service: 'api',
      env: 'staging',
      ref: 'v1.4.0',
    });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, deployer);
    const prompt = interaction.calls[0]!.options as {
      content: string;
      components: { components: { label: string; custom_id: string }[] }[];
    };
    expect(prompt.content.split('\n')).toEqual([
      '⏪ **`v1.4.0` is older than what runs** on **staging**: deploying api would drop 3 commits.',
      'Target: `aaaaaaa` by bob: Release \\*v1.4.0\\* \\@here',
      'Running now: `bbbbbbb` by carol: Release main',
      '⚠️ **Goes back 3 commits**: the target is older than what runs',
      'Go back anyway? Answer by <t:1796000000:t>; once. It then goes through every rule a deploy meets (approvals, locks, freezes).',
    ]);
    expect(prompt.components[0]?.components.map((c) => [c.label, c.custom_id])).toEqual([
      ['Deploy it anyway', `backwards:go:deploy:${ID}`],
      ['Keep what runs', `backwards:keep:deploy:${ID}`],
    ]);

    // A promotion is asked in its own words.
    expect(
      describeBackwards({ ...confirmation, kind: 'redeploy', promoteFrom: 'staging' } as never),
    ).toMatch(/: promoting api from staging would drop 3 commits\./);
    // Over another deployment's bake window (not older): said so, with who and until when.
    expect(
      describeBackwards({
        ...confirmation,
        kind: 'redeploy',
        change: null,
        older: false,
        baking: {
          deploymentId: 'd1',
          what: 'redeploy api@v2 → staging',
          by: '@everyone',
          endsAt: 1_796_000_600_000,
        },
      } as never).split('\n'),
    ).toEqual([
      "🧪 **redeploy api\\@v2 → staging is baking** (deployed by \\@everyone; watched until <t:1796000600:t>): redeploying api now means what fires next could be either's doing.",
      'Go ahead anyway? Answer by <t:1796000000:t>; once. It then goes through every rule a redeploy meets (approvals, locks, freezes).',
    ]);

    const press = fakeComponent(`backwards:go:deploy:${ID}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, deployer);
    // What is deployed comes from the confirmation the API holds, not from the button.
    expect(services.requests[1]).toEqual(
      expect.objectContaining({ requestId: 'component-1', kind: 'deploy', confirmationId: ID }),
    );
    expect(services.requests[1]).not.toHaveProperty('ref');
    expect(press.calls.map((c) => c.method)).toEqual(['update']);
    expect(press.calls[0]?.options['content']).toMatch(/^🕓 Awaiting approval/);
  });

  it('completes services and environments from the catalog and refs from GitHub', async () => {
    const services = fakeServices({
      api: {
        suggestRefs: async () => [
          { name: 'main', kind: 'branch' as const },
          { name: 'v1.4.0', kind: 'tag' as const },
          { name: 'a'.repeat(40), kind: 'commit' as const, description: 'Fix the thing' },
        ],
      },
    });
    const dispatcher = new CommandDispatcher(services, silentLogger);
    const env = autocomplete('deploy', { name: 'env', value: 'pr' });
    await dispatcher.dispatchAutocomplete(env);
    expect(env.answered).toEqual([[{ name: 'prod', value: 'prod' }]]);
    const ref = autocomplete('deploy', { name: 'ref', value: '' });
    await dispatcher.dispatchAutocomplete(ref);
    expect(ref.answered[0]).toEqual([
      { name: 'main', value: 'main' },
      { name: 'v1.4.0 (tag)', value: 'v1.4.0' },
      { name: 'aaaaaaaaaaaa Fix the thing', value: 'a'.repeat(40) },
    ]);
  });

  it('answers autocomplete with no choices rather than too late', async () => {
    const services = fakeServices({
      api: { suggestRefs: () => new Promise(() => undefined) },
    });
    const started = Date.now();
    const ref = autocomplete('deploy', { name: 'ref', value: 'ma' });
    await new CommandDispatcher(services, silentLogger, {
      autocompleteBudgetMs: 50,
    }).dispatchAutocomplete(ref);
    expect(ref.answered).toEqual([[]]);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('/infra destroy', () => {
  it('opens a modal asking for the environment name, and sends what was typed', async () => {
    const services = fakeServices();
    const dispatcher = new CommandDispatcher(services, silentLogger, { deferAfterMs: 20 });
    const interaction = fakeInteraction('infra', { action: 'destroy', env: 'prod' });
    await dispatcher.dispatch(interaction, sre);
    await new Promise((r) => setTimeout(r, 40));
    expect(interaction.calls.map((c) => c.method)).toEqual(['showModal']);
    expect(interaction.calls[0]!.options).toMatchObject({ custom_id: 'infra-destroy:prod' });
    expect(services.requests).toEqual([]);

    const submit = fakeComponent('infra-destroy:prod', { confirmation: 'prod' });
    expect(await dispatcher.dispatchComponent(submit, sre)).toBe('ok');
    expect(services.requests[0]).toMatchObject({
      kind: 'infra-destroy',
      environment: 'prod',
      confirmation: 'prod',
      requestId: 'component-1',
    });
  });

  it('needs the infra permission', async () => {
    const services = fakeServices();
    const interaction = fakeInteraction('infra', { action: 'plan', env: 'staging' });
    expect(
      await new CommandDispatcher(services, silentLogger).dispatch(interaction, deployer),
    ).toBe('denied');
    expect(services.requests).toEqual([]);
  });
});

describe('/deploy-cancel and /runs', () => {
  const summary = (status: string, runId: string) => ({
    id: ID,
    kind: 'deploy',
    service: 'api',
    environment: 'staging',
    ref: 'main',
    status,
    requestedBy: { id: '1', name: 'alice' },
    runId,
    runUrl: `https://github.com/acme/chatops/actions/runs/${runId}`,
    error: null,
    createdAt: 1_763_700_000_000,
    finishedAt: null,
    approvalsRequired: 0,
    expiresAt: null,
  });

  it('cancels the deploy in flight for the service and environment', async () => {
    const decided: string[] = [];
    const services = fakeServices({
      api: {
        listDeployments: async () =>
          [summary('running', '12'), summary('succeeded', '11')] as never,
        decide: async (id: string, decision: string) => {
          decided.push(`${decision}:${id}`);
          return { outcome: 'cancelling' as const, deployment: summary('running', '12') as never };
        },
      },
    });
    const interaction = fakeInteraction('deploy-cancel', { service: 'api', env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(decided).toEqual([`cancel:${ID}`]);
    expect(interaction.calls[0]?.options['content']).toMatch(/^🛑 Cancelling run #12/);
  });

  it('says when GitHub had already ended the run it was asked to cancel', async () => {
    const services = fakeServices({
      api: {
        listDeployments: async () => [summary('running', '12')] as never,
        decide: async () => ({
          outcome: 'already_ended' as const,
          deployment: summary('succeeded', '12') as never,
        }),
      },
    });
    const interaction = fakeInteraction('deploy-cancel', { service: 'api', env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(interaction.calls[0]?.options['content']).toBe(
      'ℹ️ Nothing to cancel: run #12 had already ended (succeeded); api on staging is free again.',
    );
  });

  it('says when nothing is in flight', async () => {
    const services = fakeServices({
      api: { listDeployments: async () => [summary('succeeded', '11')] as never },
    });
    const interaction = fakeInteraction('deploy-cancel', { service: 'api', env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(interaction.calls[0]?.options['content']).toBe(
      '⚠️ Nothing is deploying api to staging right now.',
    );
  });

  it('lists recent runs with their status and run link', async () => {
    const command = '0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9';
    const redeploy = {
      ...summary('succeeded', command),
      kind: 'redeploy',
      ref: 'v2.0.0',
      runUrl: `https://eu-west-1.console.aws.amazon.com/systems-manager/run-command/${command}`,
    };
    const services = fakeServices({
      api: { listDeployments: async () => [summary('failed', '13'), redeploy] as never },
    });
    const interaction = fakeInteraction('runs', { service: 'api' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    const [embed] = interaction.calls[0]?.options['embeds'] as {
      title: string;
      description: string;
    }[];
    expect(embed?.title).toBe('Recent runs of api (2)');
    const [run, ssm] = embed?.description.split('\n') ?? [];
    expect(run).toBe(
      '❌ deploy api@main → staging · alice · <t:1763700000:R> · failed · [run #13](https://github.com/acme/chatops/actions/runs/13)',
    );
    // An SSM command by the first 8 characters of its id, as on its progress message.
    expect(ssm).toMatch(/ · succeeded · \[command 0f1e2d3c\]\(https:\/\/eu-west-1\.console/);
  });
});

describe('deployment buttons', () => {
  it('sends Approve to the API as the presser and answers privately', async () => {
    const decided: unknown[] = [];
    const services = fakeServices({
      api: {
        decide: async (id: string, decision: string, who: unknown) => {
          decided.push({ id, decision, who });
          return {
            outcome: 'dispatched' as const,
            deployment: {
              runId: '7',
              runUrl: 'https://github.com/acme/chatops/actions/runs/7',
            } as never,
          };
        },
      },
    });
    const press = fakeComponent(`deploy:approve:${ID}`, null, { id: '555', username: 'bob' });
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, {
      ids: [],
      names: ['approver'],
    });
    expect(decided).toEqual([
      {
        id: ID,
        decision: 'approve',
        who: expect.objectContaining({ actor: { id: '555', name: 'bob' } }),
      },
    ]);
    expect(press.calls[0]?.options).toMatchObject({
      content:
        '✅ Approved: dispatched as run [#7](https://github.com/acme/chatops/actions/runs/7).',
      flags: MessageFlags.Ephemeral,
    });
  });

  it('shows a self-approval refusal as ⛔', async () => {
    const services = fakeServices({
      api: {
        decide: async () => {
          throw new ApiError(
            'you cannot approve your own request: another approver has to',
            403,
            [],
            'denied',
          );
        },
      },
    });
    const press = fakeComponent(`deploy:approve:${ID}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, { ids: [] });
    expect(press.calls[0]?.options['content']).toBe(
      '⛔ you cannot approve your own request: another approver has to',
    );
  });

  it('says so for a button it does not know, and audits the press with the id as sent', async () => {
    const services = fakeServices();
    const press = fakeComponent('mystery:1');
    expect(
      await new CommandDispatcher(services, silentLogger).dispatchComponent(press, {
        ids: [],
      }),
    ).toBe('unknown');
    expect(press.calls[0]?.options['content']).toBe(
      '⚠️ This button or form is no longer handled by the bot.',
    );
    await new Promise((r) => setImmediate(r));
    expect(services.audited).toEqual([
      expect.objectContaining({
        actor: { id: '222222222222222222', name: 'alice' },
        action: 'component',
        outcome: 'rejected',
        detail: { customId: 'mystery:1', reason: 'not a button or form the bot made' },
      }),
    ]);
  });
});

describe('Retry and Roll back the rest', () => {
  const host = (id: string, conclusion: string) => ({
    id,
    name: id,
    status: 'completed',
    conclusion,
    startedAt: null,
    completedAt: null,
    htmlUrl: null,
    steps: [],
  });
  const failed = {
    id: ID,
    service: 'api',
    environment: 'prod',
    status: 'failed',
    runId: null,
    runUrl: null,
    error: null,
    createdAt: 0,
    finishedAt: 1,
    approvalsRequired: 0,
    expiresAt: null,
    requestedBy: { id: '1', name: 'carol' },
  };
  const press = async (button: string, deployment: Record<string, unknown>) => {
    const services = fakeServices({
      api: { getDeployment: async () => ({ ...failed, ...deployment }) as never },
    });
    const interaction = fakeComponent(`deploy:${button}:${ID}`, null, {
      id: '555',
      username: 'bob',
    });
    await new CommandDispatcher(services, silentLogger).dispatchComponent(interaction, sre);
    return {
      asked: services.requests.map((r) => {
        const { kind, service, environment, ref, version, requestId, actor } = r as Record<
          string,
          unknown
        >;
        return { kind, service, environment, ref, version, requestId, actor };
      }),
      answer: String(interaction.calls[0]?.options['content']),
    };
  };
  const by = { requestId: 'component-1', actor: { id: '555', name: 'bob' } };
  const shape = (fields: Record<string, unknown>) => ({
    service: 'api',
    environment: 'prod',
    ref: undefined,
    version: undefined,
    ...by,
    ...fields,
  });

  it('asks again for what failed, as the presser: a deploy of its ref, a redeploy of its version, a rollback', async () => {
    expect((await press('retry', { kind: 'deploy', ref: 'main' })).asked).toEqual([
      shape({ kind: 'deploy', ref: 'main' }),
    ]);
    // The same commit, not where `main` has moved since: what it built, or what it was pinned to.
    const built = 'b'.repeat(40);
    expect((await press('retry', { kind: 'deploy', ref: 'main', headSha: built })).asked).toEqual([
      shape({ kind: 'deploy', ref: built }),
    ]);
    const pinned = { target: { sha: 'c'.repeat(40), url: null, author: null, title: 'x' } };
    expect(
      (await press('retry', { kind: 'deploy', ref: 'main', headSha: null, change: pinned })).asked,
    ).toEqual([shape({ kind: 'deploy', ref: 'c'.repeat(40) })]);
    expect(
      (await press('retry', { kind: 'redeploy', ref: 'v3', fromVersion: 'v2' })).asked,
    ).toEqual([shape({ kind: 'redeploy', version: 'v3' })]);
    expect(
      (await press('retry', { kind: 'rollback', ref: 'v1', fromVersion: 'v2' })).asked,
    ).toEqual([shape({ kind: 'rollback' })]);
    const infra = await press('retry', { kind: 'infra-apply', ref: 'main' });
    expect(infra).toEqual({
      asked: [],
      answer: '⚠️ Only deploys, redeploys and rollbacks are retried from here.',
    });
  });

  it('rolls back the rest to the version the failed rollout replaced, only when some host took the new one', async () => {
    const split = {
      kind: 'redeploy',
      ref: 'v3',
      fromVersion: 'v2',
      progress: [host('i-1', 'success'), host('i-2', 'failure')],
    };
    expect((await press('restore', split)).asked).toEqual([
      shape({ kind: 'redeploy', version: 'v2' }),
    ]);
    const rollout = {
      kind: 'deploy',
      ref: 'main',
      progress: [
        {
          ...host('deploy', 'failure'),
          steps: [
            {
              number: 1,
              name: 'SSM redeploy',
              status: 'completed',
              conclusion: 'failure',
              startedAt: null,
              completedAt: null,
            },
          ],
        },
      ],
    };
    // A deploy's rollout already set the desired version back: a restart of it converges.
    expect((await press('restore', rollout)).asked).toEqual([shape({ kind: 'redeploy' })]);
    const untouched = await press('restore', { ...split, progress: [host('i-1', 'failure')] });
    expect(untouched).toEqual({
      asked: [],
      answer: '⚠️ No host took the failed version: there is nothing to roll back.',
    });
    const succeeded = await press('retry', { kind: 'redeploy', ref: 'v3', status: 'succeeded' });
    expect(succeeded).toEqual({ asked: [], answer: '⚠️ Nothing to retry: it succeeded.' });
  });
});
