import { MessageFlags } from 'discord.js';
import { ApiError } from '@chatops/api-client';
import type { DeliveryReport, DeploymentRequest, FleetStatus } from '@chatops/domain';
import { fakeComponent, fakeInteraction, fakeServices, silentLogger } from '../../test/fakes';
import { CommandDispatcher } from '../dispatcher';
import { lockCommand } from './lock';

const sre = { ids: [], names: ['sre'] };
const developer = { ids: [], names: ['developer'] };
const COMMAND = '5f0c1e2d-aaaa-bbbb-cccc-123456789012';

/** The API as it answers a fleet request: the deployment it started from the request. */
function fleetServices(overrides: Parameters<typeof fakeServices>[0] = {}) {
  const requests: DeploymentRequest[] = [];
  const services = fakeServices({
    ...overrides,
    api: {
      requestDeployment: async (body: DeploymentRequest) => {
        requests.push(body);
        return {
          outcome: 'dispatched' as const,
          deployment: {
            id: '0f8fad5b-d9cb-469f-a165-70867728950e',
            kind: body.kind,
            service: body.service ?? '',
            environment: body.environment ?? '',
            ref: body.version ?? (body.kind === 'rollback' ? 'v1' : 'v3'),
            status: 'dispatched' as const,
            requestedBy: body.actor,
            runId: COMMAND,
            runUrl: `https://eu-west-1.console.aws.amazon.com/systems-manager/run-command/${COMMAND}?region=eu-west-1`,
            error: null,
            createdAt: 0,
            finishedAt: null,
            approvalsRequired: 0,
            expiresAt: null,
          },
        };
      },
      ...overrides.api,
    },
  });
  return Object.assign(services, { fleetRequests: requests });
}

describe('/redeploy', () => {
  it('sends the version to the API and answers privately with the SSM command', async () => {
    const services = fleetServices();
    const interaction = fakeInteraction('redeploy', {
      service: 'api',
      env: 'staging',
      version: 'v2',
    });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(services.fleetRequests).toEqual([
      expect.objectContaining({
        requestId: 'interaction-1',
        kind: 'redeploy',
        service: 'api',
        environment: 'staging',
        version: 'v2',
        channelId: '444444444444444444',
      }),
    ]);
    expect(interaction.calls[0]?.options).toMatchObject({
      content: `🚀 Sent redeploy api@v2 → staging to the hosts as command [5f0c1e2d](https://eu-west-1.console.aws.amazon.com/systems-manager/run-command/${COMMAND}?region=eu-west-1). Progress is posted in this channel.`,
      flags: MessageFlags.Ephemeral,
    });
  });

  it('restarts the current version when none is given', async () => {
    const services = fleetServices();
    await new CommandDispatcher(services, silentLogger).dispatch(
      fakeInteraction('redeploy', { service: 'api', env: 'staging' }),
      sre,
    );
    expect(services.fleetRequests[0]).toMatchObject({ kind: 'redeploy', version: null });
  });

  it('shows the API’s refusal of a hostile version privately, and refuses without permission', async () => {
    const services = fleetServices({
      api: {
        requestDeployment: async () => {
          throw new ApiError('invalid version: the version must be an image tag', 400);
        },
      },
    });
    const interaction = fakeInteraction('redeploy', {
      service: 'api',
      env: 'staging',
      version: '$(x)',
    });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(interaction.calls[0]?.options).toMatchObject({
      content: '⚠️ invalid version: the version must be an image tag',
      flags: MessageFlags.Ephemeral,
    });
    const denied = fakeInteraction('redeploy', { service: 'api', env: 'prod' });
    expect(await new CommandDispatcher(services, silentLogger).dispatch(denied, developer)).toBe(
      'denied',
    );
  });

  it('offers the versions deployed there before, once service and environment are chosen', async () => {
    const asked: string[][] = [];
    const services = fleetServices({
      api: {
        recentVersions: async (service: string, environment: string) => {
          asked.push([service, environment]);
          return [
            { value: 'v2.1.0', modifiedAt: null, current: true },
            { value: 'v2.0.0', modifiedAt: null, current: false },
            { value: 'x'.repeat(101), modifiedAt: null, current: false },
          ];
        },
      },
    });
    const dispatcher = new CommandDispatcher(services, silentLogger);
    const answered: unknown[] = [];
    const typing = (value: string, filled: Record<string, string>) => ({
      commandName: 'redeploy',
      user: { id: '1', username: 'alice' },
      options: {
        getFocused: () => ({ name: 'version', value }),
        getString: (name: string) => filled[name] ?? null,
      },
      respond: async (choices: unknown) => void answered.push(choices),
    });
    await dispatcher.dispatchAutocomplete(typing('', { service: 'api', env: 'staging' }));
    await dispatcher.dispatchAutocomplete(typing('2.0', { service: 'api', env: 'staging' }));
    await dispatcher.dispatchAutocomplete(typing('', { service: 'api' }));
    expect(answered).toEqual([
      [
        { name: 'v2.1.0 · current', value: 'v2.1.0' },
        { name: 'v2.0.0', value: 'v2.0.0' },
      ],
      [{ name: 'v2.0.0', value: 'v2.0.0' }],
      [],
    ]);
    expect(asked).toEqual([
      ['api', 'staging'],
      ['api', 'staging'],
    ]);
  });
});

const CONFIRMATION = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** Each button's label and whether it is disabled, from a message body the bot sent. */
function disabledButtons(options: Record<string, unknown> | undefined): [string, boolean][] {
  const rows = (options?.['components'] ?? []) as {
    components: { label: string; disabled?: boolean }[];
  }[];
  return rows.flatMap((row) =>
    row.components.map((c): [string, boolean] => [c.label, c.disabled === true]),
  );
}

describe('/rollback', () => {
  it('asks for a confirmation with the versions, then rolls back through it', async () => {
    const asked: unknown[] = [];
    const services = fleetServices({
      api: {
        confirmRollback: async (service, environment, who, to) => {
          asked.push([service, environment, who.actor.id, to]);
          return {
            current: {
              value: 'v3',
              version: 3,
              modifiedAt: '2026-11-21T11:00:00Z',
              deployedBy: { name: 'bob_*ops*', at: Date.parse('2026-11-21T11:05:00Z') },
            },
            target: { value: 'v2', version: 2, modifiedAt: '2026-11-21T10:00:00Z' },
            confirmationId: CONFIRMATION,
            expiresAt: 1_796_000_000_000,
          };
        },
      },
    });
    const interaction = fakeInteraction('rollback', { service: 'api', env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(asked).toEqual([['api', 'staging', '222222222222222222', null]]);
    const prompt = interaction.calls[0]?.options as {
      content: string;
      components: { components: { label: string; custom_id: string }[] }[];
    };
    expect(prompt.content).toBe(
      `↩️ Roll back **api** on **staging** from \`v3\` (deployed by bob\\_\\*ops\\* <t:${Date.parse('2026-11-21T11:05:00Z') / 1000}:R>) to \`v2\` (deployed <t:${Date.parse('2026-11-21T10:00:00Z') / 1000}:R>)? Every host in staging is redeployed with \`v2\`. Answer by <t:1796000000:t>; once.`,
    );
    expect(prompt.components[0]?.components.map((c) => [c.label, c.custom_id])).toEqual([
      ['Roll back', `rollback:go:${CONFIRMATION}`],
      ['Keep', `rollback:keep:${CONFIRMATION}`],
    ]);
    expect(services.fleetRequests).toEqual([]);

    const press = fakeComponent(`rollback:go:${CONFIRMATION}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, sre);
    // What is rolled back comes from the confirmation the API holds, not from the button.
    expect(services.fleetRequests).toEqual([
      expect.objectContaining({
        requestId: 'component-1',
        kind: 'rollback',
        confirmationId: CONFIRMATION,
      }),
    ]);
    // The answer replaces the confirmation, its buttons disabled: it cannot be pressed again.
    expect(press.calls.map((c) => c.method)).toEqual(['update']);
    expect(press.calls[0]?.options['content']).toMatch(
      /^🚀 Sent rollback .* to the hosts as command/,
    );
    expect(disabledButtons(press.calls[0]?.options)).toEqual([
      ['Roll back', true],
      ['Keep', true],
    ]);
  });

  it('disables Roll back and Keep in the message when the confirmation expires', async () => {
    jest.useFakeTimers({ now: Date.parse('2026-12-01T12:00:00Z') });
    try {
      const services = fleetServices({
        api: {
          confirmRollback: async () => ({
            current: { value: 'v3', version: 3, modifiedAt: null },
            target: { value: 'v2', version: 2, modifiedAt: null },
            confirmationId: CONFIRMATION,
            expiresAt: Date.now() + 600_000,
          }),
        },
      });
      const interaction = fakeInteraction('rollback', { service: 'api', env: 'staging' });
      await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
      expect(disabledButtons(interaction.calls[0]?.options)).toEqual([
        ['Roll back', false],
        ['Keep', false],
      ]);
      await jest.advanceTimersByTimeAsync(599_000);
      expect(interaction.calls.map((c) => c.method)).toEqual(['reply']);
      await jest.advanceTimersByTimeAsync(1_000);
      expect(interaction.calls.map((c) => c.method)).toEqual(['reply', 'editReply']);
      // Only the buttons change: an answer already in the message stays.
      expect(Object.keys(interaction.calls[1]?.options ?? {})).toEqual([
        'components',
        'allowedMentions',
      ]);
      expect(disabledButtons(interaction.calls[1]?.options)).toEqual([
        ['Roll back', true],
        ['Keep', true],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('spends the confirmation on Keep, says why a second press is refused, and refuses a forged button', async () => {
    const kept: string[] = [];
    const services = fleetServices({
      api: {
        keepConfirmation: async (id) => {
          if (kept.includes(id))
            throw new ApiError(
              'this confirmation was already answered (kept): run /rollback again',
              409,
            );
          kept.push(id);
        },
      },
    });
    const keep = fakeComponent(`rollback:keep:${CONFIRMATION}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(keep, sre);
    expect(keep.calls[0]).toMatchObject({
      method: 'update',
      options: { content: '👍 Nothing changed.' },
    });
    expect(disabledButtons(keep.calls[0]?.options)).toEqual([
      ['Roll back', true],
      ['Keep', true],
    ]);
    // A press that reaches the bot all the same (a stale client): refused beside the message,
    // which keeps its answer.
    const again = fakeComponent(`rollback:keep:${CONFIRMATION}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(again, sre);
    expect(again.calls[0]).toMatchObject({
      method: 'reply',
      options: {
        content: '⚠️ this confirmation was already answered (kept): run /rollback again',
        flags: MessageFlags.Ephemeral,
      },
    });
    const forged = fakeComponent('rollback:go:staging:api;reboot:3');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(forged, sre);
    expect(forged.calls[0]?.options['content']).toBe('⚠️ This button is not one the bot knows.');
    expect(services.fleetRequests).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(services.audited).toEqual([
      expect.objectContaining({
        action: 'component',
        outcome: 'rejected',
        detail: expect.objectContaining({ customId: 'rollback:go:staging:api;reboot:3' }),
      }),
    ]);
  });

  it('rolls back to a version picked with to:, offered with who deployed each and the bad ones marked', async () => {
    const asked: unknown[] = [];
    const services = fleetServices({
      api: {
        recentVersions: async () => [
          { value: 'v3', modifiedAt: null, current: true, deployedBy: { name: 'carol', at: 0 } },
          {
            value: 'v2',
            modifiedAt: null,
            current: false,
            deployedBy: { name: 'bob', at: 0 },
            bad: 'rolled back from by carol',
          },
          { value: 'v1', modifiedAt: null, current: false, deployedBy: null, bad: null },
        ],
        confirmRollback: async (service, environment, who, to) => {
          asked.push(to);
          return {
            current: { value: 'v3', version: 3, modifiedAt: null },
            target: {
              value: 'v2',
              version: 2,
              modifiedAt: null,
              deployedBy: { name: 'bob', at: 1_796_000_000_000 },
              bad: 'rolled back from by carol',
            },
            confirmationId: CONFIRMATION,
            expiresAt: null as unknown as number,
          };
        },
      },
    });
    const dispatcher = new CommandDispatcher(services, silentLogger);
    const answered: unknown[] = [];
    await dispatcher.dispatchAutocomplete({
      commandName: 'rollback',
      user: { id: '1', username: 'alice' },
      options: {
        getFocused: () => ({ name: 'to', value: '' }),
        getString: (name: string) => ({ service: 'api', env: 'staging' })[name] ?? null,
      },
      respond: async (choices: unknown) => void answered.push(choices),
    });
    // The current version is not a place to roll back to.
    expect(answered).toEqual([
      [
        { name: 'v2 · by bob · ⚠️ rolled back from by carol', value: 'v2' },
        { name: 'v1', value: 'v1' },
      ],
    ]);
    const interaction = fakeInteraction('rollback', { service: 'api', env: 'staging', to: 'v2' });
    await dispatcher.dispatch(interaction, sre);
    expect(asked).toEqual(['v2']);
    expect(interaction.calls[0]?.options['content']).toBe(
      '↩️ Roll back **api** on **staging** from `v3` to `v2` (deployed by bob <t:1796000000:R>)? ⚠️ `v2` is marked bad: rolled back from by carol. Every host in staging is redeployed with `v2`.',
    );
  });

  it('says when there is nothing to roll back to', async () => {
    const services = fleetServices({
      api: {
        confirmRollback: async () => {
          throw new ApiError('api on staging has no earlier good version to roll back to', 422);
        },
      },
    });
    const interaction = fakeInteraction('rollback', { service: 'api', env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, sre);
    expect(interaction.calls[0]?.options['content']).toBe(
      '⚠️ api on staging has no earlier good version to roll back to',
    );
  });
});

describe('/lock and /unlock', () => {
  const lockView = {
    environment: 'staging',
    service: 'api',
    holder: { id: '222222222222222222', name: 'alice' },
    reason: 'investigating <@&1>',
    acquiredAt: 1_796_000_000_000,
    expiresAt: 1_796_001_800_000,
  };

  it('locks with the reason and duration, says so in the channel, and unlocks', async () => {
    const sent: unknown[] = [];
    const services = fleetServices({
      api: {
        lock: async (body) => {
          sent.push(body);
          return lockView;
        },
        unlock: async (body) => {
          sent.push(body);
          return lockView;
        },
      },
    });
    const lock = fakeInteraction('lock', {
      service: 'api',
      env: 'staging',
      reason: 'investigating <@&1>',
      minutes: '30',
    });
    expect(await new CommandDispatcher(services, silentLogger).dispatch(lock, sre)).toBe('ok');
    expect(sent[0]).toMatchObject({
      service: 'api',
      environment: 'staging',
      reason: 'investigating <@&1>',
      durationMinutes: 30,
      actor: { id: '222222222222222222' },
    });
    expect(lock.calls[0]?.options['content']).toBe(
      '🔒 Locked api on staging by alice: investigating \\<\\@&1\\> (until <t:1796001800:t>). `/unlock` releases it.',
    );
    expect(lock.calls[0]?.options['flags']).toBeUndefined();
    const unlock = fakeInteraction('unlock', { service: 'api', env: 'staging', reason: 'done' });
    await new CommandDispatcher(services, silentLogger).dispatch(unlock, sre);
    expect(unlock.calls[0]?.options['content']).toBe(
      '🔓 Unlocked api on staging (held by alice: investigating \\<\\@&1\\>).',
    );
  });

  it('offers all beside the services', async () => {
    const choices = await lockCommand.autocomplete?.(
      {
        commandName: 'lock',
        user: { id: '1', username: 'a' },
        options: { getFocused: () => ({ name: 'service', value: '' }), getString: () => null },
        respond: async () => undefined,
      },
      fleetServices(),
    );
    expect(choices?.map((c) => c.value)).toEqual(['all', 'api']);
  });
});

describe('/status', () => {
  it('shows the fleet to the channel', async () => {
    const asked: (string | undefined)[] = [];
    const status: FleetStatus = {
      at: Date.parse('2026-11-21T12:00:00Z'),
      environments: [{ name: 'staging', error: null, hosts: [], services: [] }],
    };
    const services = fleetServices({
      api: {
        fleetStatus: async (environment?: string) => {
          asked.push(environment);
          return status;
        },
      },
    });
    const interaction = fakeInteraction('status', { env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, developer);
    expect(asked).toEqual(['staging']);
    const reply = interaction.calls[0]?.options as {
      content: string;
      embeds: { title: string }[];
      flags?: number;
    };
    expect(reply.content).toBe('✅ Fleet status: every host runs its desired versions');
    expect(reply.embeds[0]?.title).toBe('staging');
    expect(reply.flags ?? 0).toBe(0);
  });
});

describe('/dora', () => {
  const report: DeliveryReport = {
    from: Date.parse('2026-11-23T12:00:00Z'),
    to: Date.parse('2026-11-30T12:00:00Z'),
    days: 7,
    service: 'api',
    environment: 'prod',
    metrics: {
      changes: 4,
      changesPerDay: 4 / 7,
      leadTimeMs: 3 * 60 * 60_000 + 15 * 60_000,
      failures: 1,
      changeFailureRate: 0.25,
      timeToRestoreMs: 40 * 60_000,
      unrestored: 0,
    },
    breakdown: [],
  };

  it('asks the API for the window and shows the four figures to the channel', async () => {
    const asked: unknown[] = [];
    const services = fleetServices({
      api: {
        deliveryMetrics: async (query?: unknown) => {
          asked.push(query);
          return report;
        },
      },
    });
    const interaction = fakeInteraction('dora', { service: 'api', env: 'prod', days: '7' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, developer);
    expect(asked).toEqual([{ service: 'api', environment: 'prod', days: 7 }]);
    const reply = interaction.calls[0]?.options as {
      content: string;
      embeds: { title: string; fields: { name: string; value: string }[] }[];
      flags?: number;
    };
    expect(reply.content).toBe('📈 4 changes in 7 days (api on prod)');
    expect(reply.embeds[0]?.title).toBe('Delivery over the last 7 days (api on prod)');
    expect(reply.embeds[0]?.fields.map((f) => [f.name, f.value])).toEqual([
      ['Deployment frequency', '4 changes · 0.57 a day'],
      ['Lead time for changes', 'median 3h 15m'],
      ['Change failure rate', '25 % (1 of 4)'],
      ['Time to restore', 'median 40m 0s'],
    ]);
    expect(reply.flags ?? 0).toBe(0);
  });

  it("shows the API's refusal to the caller alone", async () => {
    const services = fleetServices({
      api: {
        deliveryMetrics: async () => {
          throw new ApiError('unknown service `nope` (known: api, bot)', 400);
        },
      },
    });
    const interaction = fakeInteraction('dora', { service: 'nope' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, developer);
    const reply = interaction.calls[0]?.options as { content: string; flags?: number };
    expect(reply.content).toContain('unknown service `nope` (known: api, bot)');
    expect((reply.flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
  });
});
