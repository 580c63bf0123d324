import { readdirSync } from 'node:fs';
import { ApiError } from '@chatops/api-client';
import { fakeInteraction, fakeServices, silentLogger } from '../../test/fakes';
import { CommandDispatcher } from '../dispatcher';
import { createCommandRegistry } from '../index';
import { ALL_COMMANDS } from './index';

describe('command files', () => {
  it('registers every command file in this folder exactly once', () => {
    const files = readdirSync(__dirname).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && f !== 'index.ts',
    );
    expect(files.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual(
      ALL_COMMANDS.map((c) => c.data.name).sort(),
    );
  });

  it('produces a registration payload Discord accepts (names, descriptions within limits)', () => {
    for (const command of createCommandRegistry().toJSON()) {
      expect(command.name).toMatch(/^[-_\p{L}\p{N}]{1,32}$/u);
      expect(command.description.length).toBeGreaterThan(0);
      expect(command.description.length).toBeLessThanOrEqual(100);
    }
  });
});

describe('/ping', () => {
  it('reports gateway heartbeat and API round trip', async () => {
    const interaction = fakeInteraction('ping');
    await new CommandDispatcher(fakeServices({ gatewayPing: 87 }), silentLogger).dispatch(
      interaction,
      { ids: [] },
    );
    expect(interaction.calls[0]?.options['content']).toBe(
      '🏓 Pong! Gateway heartbeat: 87 ms · API round trip: 12 ms',
    );
  });

  it('says the heartbeat is not measured yet before the first ack', async () => {
    const interaction = fakeInteraction('ping');
    await new CommandDispatcher(fakeServices({ gatewayPing: -1 }), silentLogger).dispatch(
      interaction,
      { ids: [] },
    );
    expect(interaction.calls[0]?.options['content']).toMatch(/Gateway heartbeat: not measured yet/);
  });

  it('answers with an error when the API is unreachable', async () => {
    const services = fakeServices({
      api: {
        ping: async () => {
          throw new ApiError('API unreachable at http://127.0.0.1:3000: ECONNREFUSED', 0);
        },
      },
    });
    const interaction = fakeInteraction('ping');
    expect(
      await new CommandDispatcher(services, silentLogger).dispatch(interaction, { ids: [] }),
    ).toBe('error');
    expect(interaction.calls[0]?.options['content']).toBe(
      '⚠️ Pong from the bot, but API unreachable at http://127.0.0.1:3000: ECONNREFUSED',
    );
  });
});

describe('/help', () => {
  it('lists every registered command from the registry', async () => {
    const interaction = fakeInteraction('help');
    await new CommandDispatcher(fakeServices(), silentLogger).dispatch(interaction, { ids: [] });
    const [embed] = interaction.calls[0]?.options['embeds'] as {
      title: string;
      description: string;
      footer: { text: string };
    }[];
    expect(embed?.title).toBe('ChatOps commands');
    for (const command of ALL_COMMANDS)
      expect(embed?.description).toContain(
        `**/${command.data.name}**: ${command.data.description}`,
      );
    expect(embed?.footer.text).toBe('Environments: staging, prod · Services: api');
  });

  it('says on which environments the member holds each permission', async () => {
    const help = async (names: string[]) => {
      const interaction = fakeInteraction('help');
      await new CommandDispatcher(fakeServices(), silentLogger).dispatch(interaction, {
        ids: [],
        names,
      });
      const [embed] = interaction.calls[0]?.options['embeds'] as { description: string }[];
      return (name: string) =>
        embed?.description.split('\n').find((l) => l.startsWith(`**/${name}**`)) ?? '';
    };
    const deployer = await help(['deployer']);
    expect(deployer('deploy')).toMatch(/ · needs `deploy` \(yours on staging\)$/);
    expect(deployer('status')).toMatch(/ · needs `view` \(you lack it\)$/);
    const sre = await help(['sre']);
    expect(sre('deploy')).toMatch(/ · needs `deploy` \(yours everywhere\)$/);
  });
});

describe('/audit', () => {
  const viewer = { ids: [], names: ['developer'] };

  it('lists recent audited actions, newest first, with outcome and place', async () => {
    const services = fakeServices();
    const interaction = fakeInteraction('audit', { count: '2' });
    expect(await new CommandDispatcher(services, silentLogger).dispatch(interaction, viewer)).toBe(
      'ok',
    );
    const [embed] = interaction.calls[0]?.options['embeds'] as {
      title: string;
      description: string;
    }[];
    expect(embed?.title).toBe('Recent activity (2)');
    expect(embed?.description.split('\n')).toEqual([
      '✅ <t:1763700000:R> **alice** deploy api → prod · succeeded',
      '⛔ <t:1763700000:R> **bob** deploy api → prod · denied',
    ]);
    expect(interaction.calls[0]?.options['flags']).toBeDefined();
  });

  it('shows what changed, the run, the approver and the reason; filters; names as typed', async () => {
    const queries: unknown[] = [];
    const event = (over: Record<string, unknown>) => ({
      id: 1,
      occurredAt: 1_763_700_000_000,
      actor: { id: '1', name: 'alice' },
      action: 'deploy',
      outcome: 'succeeded',
      service: 'api',
      environment: 'prod',
      source: null,
      detail: {},
      ...over,
    });
    const services = fakeServices({
      api: {
        listAudit: async (query) => {
          queries.push(query);
          return [
            event({
              detail: {
                ref: 'main',
                runUrl: 'https://github.com/acme/chatops/actions/runs/42',
                approvedBy: { id: '2', name: 'bob' },
              },
            }),
            event({
              action: 'redeploy',
              outcome: 'cancelled',
              detail: { version: 'v2.0.0', from: 'v1.9.0', error: 'cancelled by alice' },
            }),
            event({
              actor: { id: '3', name: '**mallory** <@&1> [x](https://evil.example)' },
              outcome: 'rejected',
              detail: { ref: 'main`;', problems: ['invalid ref: the ref contains "`"'] },
            }),
          ] as never;
        },
      },
    });
    const interaction = fakeInteraction('audit', { service: 'api', env: 'prod' });
    interaction.options.getUser = () => ({ id: '3', username: 'mallory' });
    expect(await new CommandDispatcher(services, silentLogger).dispatch(interaction, viewer)).toBe(
      'ok',
    );
    expect(queries).toEqual([{ limit: 10, service: 'api', environment: 'prod', actorId: '3' }]);
    const [embed] = interaction.calls[0]?.options['embeds'] as {
      title: string;
      description: string;
    }[];
    expect(embed?.title).toBe('Recent activity (api, prod, by mallory) (3)');
    expect(embed?.description.split('\n')).toEqual([
      '✅ <t:1763700000:R> **alice** deploy api → prod · `main` · [run #42](https://github.com/acme/chatops/actions/runs/42) · approved by bob · succeeded',
      '🛑 <t:1763700000:R> **alice** redeploy api → prod · `v1.9.0` → `v2.0.0` · cancelled: cancelled by alice',
      '🚫 <t:1763700000:R> **\\*\\*mallory\\*\\* \\<\\@&1\\> \\[x\\]\\(https\\://evil.example\\)** deploy api → prod · `main\';` · rejected: invalid ref\\: the ref contains "\\`"',
    ]);
  });

  it('needs the view permission', async () => {
    const interaction = fakeInteraction('audit');
    expect(
      await new CommandDispatcher(fakeServices(), silentLogger).dispatch(interaction, { ids: [] }),
    ).toBe('denied');
  });
});
