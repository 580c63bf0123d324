import { createCommandRegistry } from './index';
import { CommandsRest, registerCommands } from './registration';

/** Discord's side of registration: stores the list and echoes it back with the fields it adds. */
function fakeDiscord(initial: unknown[] = []) {
  let stored = initial;
  const calls: string[] = [];
  const rest: CommandsRest = {
    get: async (route) => {
      calls.push(`GET ${route}`);
      return stored;
    },
    put: async (route, { body }) => {
      calls.push(`PUT ${route}`);
      stored = (body as Record<string, unknown>[]).map((c, i) => ({
        id: String(1000 + i),
        application_id: '555555555555555555',
        version: '1',
        default_member_permissions: null,
        type: 1,
        nsfw: false,
        description_localizations: null,
        name_localizations: null,
        ...c,
      }));
      return stored;
    },
  };
  return { rest, calls };
}

describe('registerCommands', () => {
  const payload = createCommandRegistry().toJSON();

  it('bulk-overwrites guild commands, then does nothing when run again', async () => {
    const discord = fakeDiscord();
    const target = { applicationId: '555555555555555555', guildId: '666666666666666666' };
    const first = await registerCommands(discord.rest, target, payload);
    const second = await registerCommands(discord.rest, target, payload);
    expect(first).toEqual({
      scope: 'guild 666666666666666666',
      changed: true,
      count: payload.length,
    });
    expect(second).toEqual({
      scope: 'guild 666666666666666666',
      changed: false,
      count: payload.length,
    });
    expect(discord.calls).toEqual([
      'GET /applications/555555555555555555/guilds/666666666666666666/commands',
      'PUT /applications/555555555555555555/guilds/666666666666666666/commands',
      'GET /applications/555555555555555555/guilds/666666666666666666/commands',
    ]);
  });

  it('registers global commands without a guild', async () => {
    const discord = fakeDiscord();
    const result = await registerCommands(
      discord.rest,
      { applicationId: '555555555555555555' },
      payload,
    );
    expect(result.scope).toBe('global');
    expect(discord.calls).toContain('PUT /applications/555555555555555555/commands');
  });

  it('overwrites when a description changed', async () => {
    const discord = fakeDiscord();
    const target = { applicationId: '555555555555555555' };
    await registerCommands(discord.rest, target, payload);
    const edited = payload.map((c) => (c.name === 'ping' ? { ...c, description: 'Latency' } : c));
    expect((await registerCommands(discord.rest, target, edited)).changed).toBe(true);
  });
});
