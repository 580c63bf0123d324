import { MessageFlags } from 'discord.js';
import { ApiError } from '@chatops/api-client';
import type { FiringAlert, SilenceSummary } from '@chatops/domain';
import { fakeComponent, fakeInteraction, fakeServices, silentLogger } from '../../test/fakes';
import { CommandDispatcher } from '../dispatcher';

const sre = { ids: [], names: ['sre'] };
const developer = { ids: [], names: ['developer'] };
const nobody = { ids: [], names: [] };
const T0 = Date.parse('2026-11-21T10:00:00Z');
const SILENCE = '0b5f0c6e-8f3a-4c47-9a4d-2f1e6c7b8a90';

const firing: FiringAlert = {
  fingerprint: 'a',
  name: 'ApiDown',
  severity: 'critical',
  summary: 'api is down',
  labels: { environment: 'staging', service: 'api' },
  startsAt: T0,
  state: 'active',
  silencedBy: [],
  generatorURL: null,
};
const silence: SilenceSummary = {
  id: SILENCE,
  state: 'active',
  matchers: [{ name: 'alertname', value: 'ApiDown', isRegex: false, isEqual: true }],
  createdBy: 'alice',
  comment: '',
  startsAt: T0,
  endsAt: T0 + 3_600_000,
};

describe('/alerts', () => {
  it('lists what fires in an environment, for the channel', async () => {
    const asked: (string | undefined)[] = [];
    const services = fakeServices({
      api: {
        firingAlerts: async (environment?: string) => {
          asked.push(environment);
          return [firing];
        },
      },
    });
    const interaction = fakeInteraction('alerts', { env: 'staging' });
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, developer);
    expect(asked).toEqual(['staging']);
    expect(interaction.calls[0]?.options).toMatchObject({
      content: '🔥 1 alert firing on staging',
      embeds: [{ description: `🔴 **ApiDown** \`api\` since <t:${T0 / 1000}:R> · api is down` }],
    });
    expect(interaction.calls[0]?.options['flags']).toBeUndefined();
  });

  it('says why when Alertmanager is not there', async () => {
    const services = fakeServices({
      api: {
        firingAlerts: async () => {
          throw new ApiError('Alertmanager is not configured: set ALERTMANAGER_URL', 503);
        },
      },
    });
    const interaction = fakeInteraction('alerts', {});
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, developer);
    expect(interaction.calls[0]?.options).toMatchObject({
      content: '⚠️ Alertmanager is not configured: set ALERTMANAGER_URL',
      flags: MessageFlags.Ephemeral,
    });
  });
});

describe('/silences and its Expire buttons', () => {
  it('offers Expire only to members with the silence permission', async () => {
    const services = fakeServices({ api: { silences: async () => [silence] } });
    const forSre = fakeInteraction('silences', {});
    await new CommandDispatcher(services, silentLogger).dispatch(forSre, sre);
    expect(JSON.stringify(forSre.calls[0]?.options['components'])).toContain(
      `silence:expire:${SILENCE}`,
    );
    const forDeveloper = fakeInteraction('silences', {});
    await new CommandDispatcher(services, silentLogger).dispatch(forDeveloper, developer);
    expect(forDeveloper.calls[0]?.options['components']).toEqual([]);
  });

  it('expires through the API as the presser, and shows a refusal privately', async () => {
    const calls: unknown[] = [];
    const services = fakeServices({
      api: {
        expireSilence: async (id: string, who: unknown) => {
          calls.push([id, who]);
          if (calls.length > 1)
            throw new ApiError('you need the `silence` permission', 403, [], 'denied');
          return { silence: { ...silence, state: 'expired' as const } };
        },
      },
    });
    const press = fakeComponent(`silence:expire:${SILENCE}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, sre);
    expect(calls[0]).toEqual([
      SILENCE,
      expect.objectContaining({ actor: expect.objectContaining({ name: 'alice' }) }),
    ]);
    expect(press.calls[0]?.options['content']).toBe(
      '🔔 Expired the silence on `alertname=ApiDown`.',
    );
    const denied = fakeComponent(`silence:expire:${SILENCE}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(denied, nobody);
    expect(denied.calls[0]?.options['content']).toBe('⛔ you need the `silence` permission');
  });
});

describe('alert message buttons', () => {
  it('silences a group through the API', async () => {
    const calls: unknown[] = [];
    const services = fakeServices({
      api: {
        silenceAlertGroup: async (groupId: number, duration: '1h' | '4h') => {
          calls.push([groupId, duration]);
          return { silenceId: SILENCE, endsAt: T0 + 4 * 3_600_000 };
        },
      },
    });
    const press = fakeComponent('alert:silence:42:4h');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, developer);
    expect(calls).toEqual([[42, '4h']]);
    expect(press.calls[0]?.options).toMatchObject({
      content: `🔕 Silenced for 4h, until <t:${(T0 + 4 * 3_600_000) / 1000}:t> (silence \`${SILENCE}\`; /silences to expire it).`,
      flags: MessageFlags.Ephemeral,
    });
  });

  it('redeploys through the normal redeploy request', async () => {
    const services = fakeServices();
    const press = fakeComponent('alert:redeploy:staging:api');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, sre);
    expect(services.requests).toEqual([
      expect.objectContaining({ kind: 'redeploy', service: 'api', environment: 'staging' }),
    ]);
    const forged = fakeComponent('alert:redeploy:staging:api;reboot');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(forged, sre);
    expect(forged.calls[0]?.options['content']).toBe('⚠️ This button is not one the bot knows.');
    expect(services.requests).toHaveLength(1);
  });
});

describe('the Roll back button of an alert that followed a deployment', () => {
  const CONFIRMATION = '0b7c6c84-4f1e-4a52-9b55-2a3c0c6d9e11';
  const answer = {
    current: { value: 'v3', version: 3, modifiedAt: '2026-11-21T11:00:00Z' },
    target: { value: 'v2', version: 2, modifiedAt: '2026-11-21T10:00:00Z' },
    confirmationId: CONFIRMATION,
  };

  it('asks the /rollback confirmation, to the version the button names or the last good', async () => {
    const asked: unknown[] = [];
    const services = fakeServices({
      api: {
        confirmRollback: async (service, environment, who, to) => {
          asked.push([service, environment, who.actor.name, to ?? null]);
          return answer;
        },
      },
    });
    const press = fakeComponent('alert:rollback:staging:api:v2');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, sre);
    const digest = `sha256:${'a'.repeat(64)}`;
    const pressDigest = fakeComponent(`alert:rollback:staging:api:${digest}`);
    await new CommandDispatcher(services, silentLogger).dispatchComponent(pressDigest, sre);
    const pressBare = fakeComponent('alert:rollback:staging:api');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(pressBare, sre);
    expect(asked).toEqual([
      ['api', 'staging', 'alice', 'v2'],
      ['api', 'staging', 'alice', digest],
      ['api', 'staging', 'alice', null],
    ]);
    expect(press.calls[0]?.options).toMatchObject({
      content: expect.stringMatching(/^↩️ Roll back \*\*api\*\* on \*\*staging\*\* from `v3`/),
      flags: MessageFlags.Ephemeral,
    });
    // Nothing is rolled back before the member confirms.
    expect(services.requests).toEqual([]);
  });

  it("shows the API's refusal, and refuses a forged id without asking", async () => {
    let asked = 0;
    const services = fakeServices({
      api: {
        confirmRollback: async () => {
          asked += 1;
          throw new ApiError('you need the `rollback` permission on `staging`', 403, [], 'denied');
        },
      },
    });
    const press = fakeComponent('alert:rollback:staging:api:v2');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(press, nobody);
    expect(press.calls[0]?.options['content']).toBe(
      '⛔ you need the `rollback` permission on `staging`',
    );
    const forged = fakeComponent('alert:rollback:staging:api:v2;reboot');
    await new CommandDispatcher(services, silentLogger).dispatchComponent(forged, sre);
    expect(forged.calls[0]?.options['content']).toBe('⚠️ This button is not one the bot knows.');
    expect(asked).toBe(1);
  });
});

describe('/alerts-requeue', () => {
  it('sends again what Discord refused, saying how many and what Discord had answered', async () => {
    const asked: unknown[] = [];
    const services = fakeServices({
      api: {
        requeueRefusedAlerts: async (who: unknown) => {
          asked.push(who);
          return { requeued: 2, errors: ['Discord 403 (50013): Missing Permissions **x**'] };
        },
      },
    });
    const interaction = fakeInteraction('alerts-requeue');
    await new CommandDispatcher(services, silentLogger).dispatch(interaction, {
      ids: [],
      names: ['sre'],
    });
    expect(asked).toEqual([
      expect.objectContaining({ actor: { id: '222222222222222222', name: 'alice' } }),
    ]);
    expect(interaction.calls[0]?.options['content']).toBe(
      '🔁 2 alert notifications go out again. Discord had answered:\n• Discord 403 \\(50013\\)\\: Missing Permissions \\*\\*x\\*\\*',
    );
  });

  it('needs the silence permission', async () => {
    const interaction = fakeInteraction('alerts-requeue');
    await new CommandDispatcher(fakeServices(), silentLogger).dispatch(interaction, {
      ids: [],
      names: ['developer'],
    });
    expect(interaction.calls[0]?.options['content']).toMatch(
      /^⛔ You need the `silence` permission/,
    );
  });
});
