import { DiscordSimulator } from '@chatops/discord-sim';
import {
  classifyDiscordFailure,
  RestDiscordChannelRepository,
} from '../src/discord-channel.repository';

const TOKEN = `sim.${'x'.repeat(60)}`;
let sim: DiscordSimulator;
let channel: RestDiscordChannelRepository;

beforeEach(async () => {
  sim = await new DiscordSimulator({ botToken: TOKEN }).start();
  channel = new RestDiscordChannelRepository({ token: TOKEN, apiUrl: sim.restUrl });
});
afterEach(() => sim.stop());

describe('RestDiscordChannelRepository against the Discord simulator', () => {
  it('posts, edits and threads a message', async () => {
    const { id } = await channel.postMessage(sim.channelId, {
      content: '🚀 Dispatched',
      embeds: [{ title: 'api → staging' }],
    });
    await channel.editMessage(sim.channelId, id, { content: '✅ Succeeded' });
    const thread = await channel.startThread(sim.channelId, id, 'api → staging · run 1');
    await channel.postMessage(thread.id, { content: 'step detail' });
    const [message] = sim.channelMessages();
    expect(message).toMatchObject({
      id,
      content: '✅ Succeeded',
      embeds: [{ title: 'api → staging' }],
    });
    expect(message?.edited_timestamp).not.toBeNull();
    // Posts and edits alike say whom they may ping: nobody.
    expect(message?.allowedMentions).toEqual({ parse: [] });
    expect(sim.channelMessages(thread.id)[0]?.allowedMentions).toEqual({ parse: [] });
    expect(sim.channelMessages(thread.id).map((m) => m.content)).toEqual(['step detail']);
  });

  it('pings exactly the roles it is given, on posts only, and answers the thread a message has', async () => {
    const oncall = '987654321098765432';
    const { id } = await channel.postMessage(
      sim.channelId,
      { content: `<@&${oncall}> <@&123456789012345678> @everyone down` },
      { mentionRoles: [oncall] },
    );
    expect(sim.messages.get(id)?.pinged).toEqual({ roles: [oncall], users: [], everyone: false });
    expect(sim.messages.get(id)?.allowedMentions).toEqual({ parse: [], roles: [oncall] });
    await channel.editMessage(sim.channelId, id, { content: `<@&${oncall}> still down` });
    expect(sim.messages.get(id)?.allowedMentions).toEqual({ parse: [] });
    const thread = await channel.startThread(sim.channelId, id, 'down');
    expect(thread.id).toBe(id);
    expect(await channel.startThread(sim.channelId, id, 'down')).toEqual({ id });
  });

  it('waits out a 429 and then edits', async () => {
    const { id } = await channel.postMessage(sim.channelId, { content: 'one' });
    sim.rateLimits.forceNext(/^PATCH \/channels\//, 1, 300);
    const started = Date.now();
    await channel.editMessage(sim.channelId, id, { content: 'two' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(sim.channelMessages()[0]?.content).toBe('two');
    expect(sim.requests.filter((r) => r.startsWith('PATCH')).length).toBe(2);
  });

  it('makes one message of two posts with the same nonce', async () => {
    const first = await channel.postMessage(sim.channelId, { content: 'a' }, { nonce: 'ag1e1' });
    const again = await channel.postMessage(sim.channelId, { content: 'a' }, { nonce: 'ag1e1' });
    const other = await channel.postMessage(sim.channelId, { content: 'b' }, { nonce: 'ag1e2' });
    expect(again.id).toBe(first.id);
    expect(other.id).not.toBe(first.id);
    expect(sim.channelMessages()).toHaveLength(2);
  });

  it('tells a deleted message, a refusal and an outage apart', async () => {
    const gone = await channel
      .editMessage(sim.channelId, '123456789012345678', { content: 'x' })
      .catch((e: unknown) => e);
    expect(classifyDiscordFailure(gone)).toMatchObject({ kind: 'gone' });
    const invalid = await channel
      .postMessage(sim.channelId, { content: 'x'.repeat(2001) })
      .catch((e: unknown) => e);
    expect(classifyDiscordFailure(invalid)).toMatchObject({ kind: 'permanent' });
    sim.goAway(60_000);
    const quick = new RestDiscordChannelRepository({
      token: TOKEN,
      apiUrl: sim.restUrl,
      timeoutMs: 500,
    });
    const away = await quick.postMessage(sim.channelId, { content: 'x' }).catch((e: unknown) => e);
    expect(classifyDiscordFailure(away)).toMatchObject({ kind: 'transient' });
    expect(sim.channelMessages()).toHaveLength(0);
  });

  it('recovers from a 401: the next call carries the token again', async () => {
    sim.refuseAuthNext(1);
    const refused = await channel.postMessage(sim.channelId, { content: 'a' }).catch((e) => e);
    expect(classifyDiscordFailure(refused)).toEqual({
      kind: 'transient',
      message: 'Discord 401: the bot token was refused (401: Unauthorized)',
    });
    const { id } = await channel.postMessage(sim.channelId, { content: 'b' });
    await channel.editMessage(sim.channelId, id, { content: 'c' });
    expect(sim.channelMessages().map((m) => m.content)).toEqual(['c']);
  });

  it('fails with Discord’s reason on an invalid message', async () => {
    await expect(channel.postMessage(sim.channelId, { content: 'x'.repeat(2001) })).rejects.toThrow(
      /Invalid Form Body/,
    );
  });
});
