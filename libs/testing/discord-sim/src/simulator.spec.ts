import { once } from 'node:events';
import { WebSocket } from 'ws';
import { GatewayOpcodes } from 'discord-api-types/v10';
import { conformance } from '@chatops/sim-kit';
import { renderMessage } from './render';
import type { StoredMessage } from './interaction';
import { DiscordSimulator } from './simulator';

const TOKEN = 'bot-token-'.padEnd(60, 'x');
const bot = { authorization: `Bot ${TOKEN}`, 'content-type': 'application/json' };

let sim: DiscordSimulator;

beforeEach(async () => {
  sim = await new DiscordSimulator({
    botToken: TOKEN,
    responseDeadlineMs: 300,
    tokenLifetimeMs: 1000,
    rateLimits: [],
  }).start();
});

afterEach(async () => {
  await sim.stop();
});

async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = bot,
) {
  const res = await fetch(`${sim.restUrl}/v10${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function registerPing() {
  await api('PUT', `/applications/${sim.applicationId}/guilds/${sim.guildId}/commands`, [
    {
      name: 'ping',
      description: 'Ping',
      options: [{ name: 'target', description: 't', type: 3, required: false }],
    },
  ]);
}

/** A gateway client speaking the protocol by hand. */
async function connect() {
  const socket = new WebSocket(`${sim.gatewayUrl}?v=10&encoding=json`);
  const received: { op: number; t?: string; s?: number; d: any }[] = [];
  socket.on('message', (raw) => received.push(JSON.parse(raw.toString())));
  await once(socket, 'open');
  const next = async (predicate: (p: (typeof received)[number]) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const found = received.find(predicate);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('gateway payload not received');
  };
  return {
    socket,
    received,
    next,
    send: (payload: unknown) => socket.send(JSON.stringify(payload)),
  };
}

describe('REST', () => {
  it('refuses a bad bot token with 401 and Discord’s body', async () => {
    const res = await api('GET', '/users/@me', undefined, { authorization: 'Bot wrong' });
    expect(res).toMatchObject({ status: 401, body: { message: '401: Unauthorized', code: 0 } });
  });

  it('gives the gateway URL and the current user', async () => {
    expect((await api('GET', '/gateway/bot')).body).toMatchObject({
      url: sim.gatewayUrl,
      shards: 1,
    });
    expect((await api('GET', '/users/@me')).body).toMatchObject({
      id: sim.applicationId,
      bot: true,
    });
  });

  it('bulk-overwrites commands and keeps their ids across overwrites', async () => {
    await registerPing();
    const first = sim.registeredCommands()[0]!.id;
    await registerPing();
    expect(sim.registeredCommands().map((c) => [c.name, c.id])).toEqual([['ping', first]]);
  });

  it('rejects messages over Discord’s limits with Invalid Form Body', async () => {
    // Bodies Discord's description refuses too, sent on purpose.
    const operation = /^POST \/channels\/\{channel_id\}\/messages$/;
    for (const problem of [/^\.embeds: /, /\.custom_id: /, /^\.components\[0\]\.components: /])
      conformance.expectViolation({ api: 'discord', operation, problem });
    const channel = `/channels/${sim.channelId}/messages`;
    const long = await api('POST', channel, { content: 'x'.repeat(2001) });
    expect(long).toMatchObject({
      status: 400,
      body: {
        code: 50035,
        message: 'Invalid Form Body',
        errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } },
      },
    });
    const embeds = await api('POST', channel, {
      embeds: Array.from({ length: 11 }, () => ({ title: 't' })),
    });
    expect(embeds.body.errors.embeds._errors[0].code).toBe('BASE_TYPE_MAX_LENGTH');
    const huge = await api('POST', channel, {
      embeds: [{ description: 'd'.repeat(4000) }, { description: 'd'.repeat(2500) }],
    });
    expect(huge.body.errors.embeds._errors[0].code).toBe('MAX_EMBED_SIZE_EXCEEDED');
    const buttons = Array.from({ length: 6 }, (_, i) => ({
      type: 2,
      style: 1,
      label: `b${i}`,
      custom_id: `c${i}`,
    }));
    const row = await api('POST', channel, {
      content: 'x',
      components: [{ type: 1, components: buttons }],
    });
    expect(row.body.errors.components['0'].components._errors[0].code).toBe('BASE_TYPE_MAX_LENGTH');
    const id = await api('POST', channel, {
      content: 'x',
      components: [
        { type: 1, components: [{ type: 2, style: 1, label: 'ok', custom_id: 'c'.repeat(101) }] },
      ],
    });
    expect(id.body.errors.components['0'].components['0'].custom_id._errors[0].code).toBe(
      'BASE_TYPE_MAX_LENGTH',
    );
    expect((await api('POST', channel, {})).body).toEqual({
      message: 'Cannot send an empty message',
      code: 50006,
    });
  });

  it('sends rate-limit headers and a 429 with retry_after when a bucket is empty', async () => {
    sim.rateLimits.configure([
      { route: /^POST \/channels\/\d+\/messages$/, limit: 2, windowMs: 10_000 },
    ]);
    const channel = `/channels/${sim.channelId}/messages`;
    const first = await api('POST', channel, { content: '1' });
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('1');
    await api('POST', channel, { content: '2' });
    const limited = await api('POST', channel, { content: '3' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ message: 'You are being rate limited.', global: false });
    expect(limited.body.retry_after).toBeGreaterThan(9);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(sim.channelMessages().map((m) => m.content)).toEqual(['1', '2']);
  });

  it('creates and edits channel messages and threads', async () => {
    const posted = await api('POST', `/channels/${sim.channelId}/messages`, {
      content: 'deploying',
    });
    const edited = await api('PATCH', `/channels/${sim.channelId}/messages/${posted.body.id}`, {
      content: 'deployed',
    });
    expect(edited.body).toMatchObject({
      id: posted.body.id,
      content: 'deployed',
      edited_timestamp: expect.any(String),
    });
    const thread = await api(
      'POST',
      `/channels/${sim.channelId}/messages/${posted.body.id}/threads`,
      { name: 'deploy #1' },
    );
    expect(thread.body).toMatchObject({ type: 11, name: 'deploy #1', parent_id: sim.channelId });
    // As on Discord: the thread has the message's id, and a message starts one thread only.
    expect(thread.body.id).toBe(posted.body.id);
    const again = await api(
      'POST',
      `/channels/${sim.channelId}/messages/${posted.body.id}/threads`,
      { name: 'deploy #1' },
    );
    expect(again).toMatchObject({ status: 400, body: { code: 160004 } });
  });

  it('has more text channels when asked, kept across a restart', async () => {
    const incidents = sim.addChannel('incidents');
    const posted = await api('POST', `/channels/${incidents}/messages`, { content: 'x' });
    expect(posted.status).toBe(200);
    expect(sim.channelMessages(incidents).map((m) => m.content)).toEqual(['x']);
    expect(sim.channelLabel(incidents)).toBe('#incidents');
    expect(
      (await api('POST', '/channels/123456789012345678/messages', { content: 'x' })).status,
    ).toBe(404);
    const restarted = new DiscordSimulator({ botToken: TOKEN, state: sim.snapshot() });
    expect(restarted.channelLabel(incidents)).toBe('#incidents');
  });

  it('notifies whom allowed_mentions lets through, and nobody on an edit', async () => {
    const oncall = '111111111111111111';
    const other = '222222222222222222';
    const user = '333333333333333333';
    const content = `<@&${oncall}> <@&${other}> <@${user}> @everyone`;
    const post = (allowed_mentions?: unknown) =>
      api('POST', `/channels/${sim.channelId}/messages`, { content, allowed_mentions });
    const pingsOfPost = async (allowed?: unknown) => {
      const { body } = await post(allowed);
      return sim.messages.get(body.id)?.pinged;
    };
    expect(await pingsOfPost()).toEqual({ roles: [oncall, other], users: [user], everyone: true });
    expect(await pingsOfPost({ parse: [] })).toEqual({ roles: [], users: [], everyone: false });
    expect(await pingsOfPost({ parse: [], roles: [oncall] })).toEqual({
      roles: [oncall],
      users: [],
      everyone: false,
    });
    expect(await pingsOfPost({ parse: ['users'] })).toEqual({
      roles: [],
      users: [user],
      everyone: false,
    });
    expect(await post({ parse: ['roles'], roles: [oncall] })).toMatchObject({
      status: 400,
      body: { code: 50035 },
    });
    const { body } = await post({ parse: [] });
    await api('PATCH', `/channels/${sim.channelId}/messages/${body.id}`, {
      content,
      allowed_mentions: { parse: ['everyone'] },
    });
    expect(sim.messages.get(body.id)?.pinged).toEqual({ roles: [], users: [], everyone: false });
    expect(body).not.toHaveProperty('pinged');
  });
});

describe('alert delivery conditions', () => {
  it('posts through an incoming webhook, as Alertmanager does, marked with its id', async () => {
    const hook = sim.createWebhook();
    const path = new URL(hook.url).pathname.replace(/^\/api\/v10/, '');
    const noAuth = { 'content-type': 'application/json' };
    const posted = await api('POST', `${path}?wait=true`, { content: 'from AM' }, noAuth);
    expect(posted.status).toBe(200);
    expect(posted.body.webhook_id).toBe(hook.id);
    expect((await api('POST', path, { content: 'again' }, noAuth)).status).toBe(204);
    const wrong = await api(
      'POST',
      path.replace(hook.token, 'x'.repeat(48)),
      { content: 'x' },
      noAuth,
    );
    expect(wrong.status).toBe(404);
    expect(sim.channelMessages().map((m) => [m.content, m.webhook_id])).toEqual([
      ['from AM', hook.id],
      ['again', hook.id],
    ]);
  });

  it('answers a share of requests with 429 when told to', async () => {
    sim.rateLimits.injectRandom(/^POST \/channels\//, 1, 250);
    const limited = await api('POST', `/channels/${sim.channelId}/messages`, { content: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.body.retry_after).toBe(0.25);
    sim.rateLimits.injectRandom(/^POST \/channels\//, 0);
    expect(
      (await api('POST', `/channels/${sim.channelId}/messages`, { content: 'x' })).status,
    ).toBe(200);
    expect(sim.rateLimits.limited).toBe(1);
  });

  it('drops REST connections while it is away, then comes back', async () => {
    sim.goAway(200);
    await expect(api('GET', '/users/@me')).rejects.toThrow(/fetch failed/);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await api('GET', '/users/@me')).status).toBe(200);
  });
});

describe('gateway', () => {
  it('says HELLO, answers heartbeats, and sends READY then GUILD_CREATE on IDENTIFY', async () => {
    const gw = await connect();
    const hello = await gw.next((p) => p.op === GatewayOpcodes.Hello);
    expect(hello.d.heartbeat_interval).toBe(41250);
    gw.send({ op: GatewayOpcodes.Heartbeat, d: null });
    await gw.next((p) => p.op === GatewayOpcodes.HeartbeatAck);
    gw.send({ op: GatewayOpcodes.Identify, d: { token: TOKEN, intents: 1, properties: {} } });
    const ready = await gw.next((p) => p.t === 'READY');
    expect(ready.d).toMatchObject({
      v: 10,
      user: { id: sim.applicationId },
      guilds: [{ id: sim.guildId, unavailable: true }],
    });
    expect((await gw.next((p) => p.t === 'GUILD_CREATE')).d).toMatchObject({
      id: sim.guildId,
      unavailable: false,
    });
    gw.socket.close();
  });

  it('closes with 4004 on a bad token', async () => {
    const gw = await connect();
    gw.send({ op: GatewayOpcodes.Identify, d: { token: 'nope', intents: 1, properties: {} } });
    const [code] = (await once(gw.socket, 'close')) as [number];
    expect(code).toBe(4004);
  });

  it('replays missed dispatches on RESUME, and invalidates an unknown session', async () => {
    const gw = await connect();
    gw.send({ op: GatewayOpcodes.Identify, d: { token: TOKEN, intents: 1, properties: {} } });
    const ready = await gw.next((p) => p.t === 'READY');
    await gw.next((p) => p.t === 'GUILD_CREATE');
    sim.disconnectGateway();
    await once(gw.socket, 'close');
    sim.role('deployer'); // dispatched while the client is away

    const again = await connect();
    again.send({
      op: GatewayOpcodes.Resume,
      d: { token: TOKEN, session_id: ready.d.session_id, seq: 2 },
    });
    const missed = await again.next((p) => p.t === 'GUILD_ROLE_CREATE');
    expect(missed.d.role.name).toBe('deployer');
    await again.next((p) => p.t === 'RESUMED');
    again.socket.close();

    const stranger = await connect();
    stranger.send({ op: GatewayOpcodes.Resume, d: { token: TOKEN, session_id: 'gone', seq: 1 } });
    expect((await stranger.next((p) => p.op === GatewayOpcodes.InvalidSession)).d).toBe(false);
    stranger.socket.close();
  });
});

describe('interactions', () => {
  async function invokeWithClient() {
    await registerPing();
    const gw = await connect();
    gw.send({ op: GatewayOpcodes.Identify, d: { token: TOKEN, intents: 1, properties: {} } });
    await gw.next((p) => p.t === 'GUILD_CREATE');
    const interaction = sim.invoke({
      user: 'user2',
      roles: ['deployer'],
      command: 'ping',
      options: { target: 'api' },
    });
    const created = await gw.next((p) => p.t === 'INTERACTION_CREATE');
    return { gw, interaction, created };
  }

  it('delivers INTERACTION_CREATE with the member, roles, options and a token', async () => {
    const { gw, created } = await invokeWithClient();
    expect(created.d).toMatchObject({
      type: 2,
      data: { name: 'ping', options: [{ name: 'target', type: 3, value: 'api' }] },
      guild_id: sim.guildId,
      channel_id: sim.channelId,
      member: { user: { username: 'user2' }, roles: [sim.role('deployer').id] },
      token: expect.any(String),
    });
    gw.socket.close();
  });

  it('refuses unknown commands and options before anything is sent', async () => {
    await registerPing();
    expect(() => sim.invoke({ user: 'u', command: 'deploy' })).toThrow(
      'Unknown command /deploy. Registered commands: /ping',
    );
    expect(() => sim.invoke({ user: 'u', command: 'ping', options: { env: 'x' } })).toThrow(
      '/ping has no option "env" (options: target)',
    );
  });

  it('records a reply, then follow-ups and edits through the interaction webhook', async () => {
    const { gw, interaction, created } = await invokeWithClient();
    const callback = await api(
      'POST',
      `/interactions/${created.d.id}/${created.d.token}/callback`,
      { type: 4, data: { content: 'pong', flags: 64 } },
      {
        'content-type': 'application/json',
      },
    );
    expect(callback.status).toBe(204);
    const again = await api(
      'POST',
      `/interactions/${created.d.id}/${created.d.token}/callback`,
      { type: 4, data: { content: 'twice' } },
      {
        'content-type': 'application/json',
      },
    );
    expect(again.body).toEqual({
      message: 'Interaction has already been acknowledged.',
      code: 40060,
    });
    const follow = await api(
      'POST',
      `/webhooks/${sim.applicationId}/${created.d.token}?wait=true`,
      { content: 'more' },
      { 'content-type': 'application/json' },
    );
    expect(follow.body).toMatchObject({ content: 'more', author: { id: sim.applicationId } });
    await api(
      'PATCH',
      `/webhooks/${sim.applicationId}/${created.d.token}/messages/@original`,
      { content: 'pong (edited)' },
      { 'content-type': 'application/json' },
    );
    expect(interaction.events.map((e) => [e.type, e.ephemeral, e.message?.content])).toEqual([
      ['reply', true, 'pong'],
      ['followup', false, 'more'],
      ['edit', true, 'pong (edited)'],
    ]);
    gw.socket.close();
  });

  it('answers a late first response with 10062 and shows the user "did not respond"', async () => {
    const { gw, interaction, created } = await invokeWithClient();
    await new Promise((r) => setTimeout(r, 350));
    expect(interaction.events.map((e) => e.type)).toEqual(['no-response']);
    const late = await api(
      'POST',
      `/interactions/${created.d.id}/${created.d.token}/callback`,
      { type: 4, data: { content: 'late' } },
      {
        'content-type': 'application/json',
      },
    );
    expect(late).toMatchObject({
      status: 404,
      body: { message: 'Unknown interaction', code: 10062 },
    });
    gw.socket.close();
  });

  it('expires the interaction token for follow-ups after its lifetime', async () => {
    const { gw, created } = await invokeWithClient();
    await api(
      'POST',
      `/interactions/${created.d.id}/${created.d.token}/callback`,
      { type: 5 },
      { 'content-type': 'application/json' },
    );
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await api(
      'POST',
      `/webhooks/${sim.applicationId}/${created.d.token}`,
      { content: 'too late' },
      { 'content-type': 'application/json' },
    );
    expect(expired).toMatchObject({
      status: 401,
      body: { message: 'Invalid Webhook Token', code: 50027 },
    });
    gw.socket.close();
  });

  it('lets a member press a button, delivering a component interaction', async () => {
    const { gw, created } = await invokeWithClient();
    await api(
      'POST',
      `/interactions/${created.d.id}/${created.d.token}/callback`,
      {
        type: 4,
        data: {
          content: 'Approve?',
          components: [
            {
              type: 1,
              components: [{ type: 2, style: 3, label: 'Approve', custom_id: 'approve:1' }],
            },
          ],
        },
      },
      { 'content-type': 'application/json' },
    );
    const message = sim.channelMessages()[0]!;
    const press = sim.press(message.id, 'approve', { user: 'user3', roles: ['approver'] });
    const component = await gw.next((p) => p.t === 'INTERACTION_CREATE' && p.d.type === 3);
    expect(component.d).toMatchObject({
      data: { custom_id: 'approve:1', component_type: 2 },
      message: { id: message.id },
    });
    expect(press.name).toBe('approve:1');
    expect(() => sim.press(message.id, 'Reject', { user: 'user3' })).toThrow(
      'no button [Reject] on that message',
    );
    gw.socket.close();
  });

  it('edits the pressed message on a deferred update, not the newest one with that button', async () => {
    const { gw, created } = await invokeWithClient();
    const body = (content: string) => ({
      content,
      components: [
        { type: 1, components: [{ type: 2, style: 2, label: 'Keep', custom_id: 'keep:1' }] },
      ],
    });
    await api(
      'POST',
      `/interactions/${created.d.id}/${created.d.token}/callback`,
      { type: 4, data: body('first') },
      { 'content-type': 'application/json' },
    );
    await api(
      'POST',
      `/webhooks/${sim.applicationId}/${created.d.token}?wait=true`,
      body('second'),
      {
        'content-type': 'application/json',
      },
    );
    const [first, second] = sim.channelMessages();
    const press = sim.press(first!.id, 'Keep', { user: 'user1' });
    const component = await gw.next((p) => p.t === 'INTERACTION_CREATE' && p.d.type === 3);
    expect(component.d.data.custom_id).toBe(press.name);
    await api(
      'POST',
      `/interactions/${component.d.id}/${component.d.token}/callback`,
      { type: 6 },
      { 'content-type': 'application/json' },
    );
    const edited = await api(
      'PATCH',
      `/webhooks/${sim.applicationId}/${component.d.token}/messages/@original`,
      { content: 'kept', components: [] },
      { 'content-type': 'application/json' },
    );
    expect(edited.status).toBe(200);
    expect(sim.channelMessages().map((m) => [m.id, m.content])).toEqual([
      [first!.id, 'kept'],
      [second!.id, 'second'],
    ]);
    gw.socket.close();
  });
});

describe('renderMessage', () => {
  it('renders content, embeds as boxes and buttons as [Label]', () => {
    expect(
      renderMessage({
        content: 'Deploy requested',
        embeds: [
          {
            title: 'api → prod',
            description: 'ref main',
            fields: [{ name: 'Status', value: 'waiting' }],
            footer: { text: 'expires in 30m' },
          },
        ],
        components: [
          {
            components: [
              { type: 2, label: 'Approve' },
              { type: 2, label: 'Run', style: 5, url: 'https://example.com/run' },
            ],
          },
        ],
      }),
    ).toBe(
      [
        'Deploy requested',
        '┌ api → prod',
        '│ ref main',
        '│ Status: waiting',
        '└ expires in 30m',
        '[Approve] [Run](https://example.com/run)',
      ].join('\n'),
    );
  });
});

describe('state across restarts', () => {
  it('saves on every REST change and restores the guild, members, commands, threads and messages', async () => {
    let saved = sim.snapshot();
    let saves = 0;
    const first = await new DiscordSimulator({
      botToken: TOKEN,
      rateLimits: [],
      onChange: () => {
        saves++;
        saved = first.snapshot();
      },
    }).start();
    const member = first.user('user1');
    first.role('deployer');
    const call = (target: DiscordSimulator, method: string, path: string, body?: unknown) =>
      fetch(`${target.restUrl}/v10${path}`, {
        method,
        headers: bot,
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }));
    await call(
      first,
      'PUT',
      `/applications/${first.applicationId}/guilds/${first.guildId}/commands`,
      [{ name: 'ping', description: 'Ping' }],
    );
    const posted = await call(first, 'POST', `/channels/${first.channelId}/messages`, {
      content: 'deploying',
      components: [
        { type: 1, components: [{ type: 2, style: 2, label: 'Cancel', custom_id: 'c:1' }] },
      ],
    });
    const thread = await call(
      first,
      'POST',
      `/channels/${first.channelId}/messages/${posted.body.id}/threads`,
      { name: 'deploy #1' },
    );
    await call(first, 'POST', `/channels/${thread.body.id}/messages`, { content: 'build ok' });
    expect(saves).toBeGreaterThanOrEqual(4);
    await first.stop();

    const second = await new DiscordSimulator({
      botToken: 'another-token-after-restart'.padEnd(60, 'y'),
      rateLimits: [],
      state: JSON.parse(JSON.stringify(saved)) as typeof saved,
    }).start();
    try {
      expect([second.applicationId, second.guildId, second.channelId]).toEqual([
        first.applicationId,
        first.guildId,
        first.channelId,
      ]);
      // Members keep their ids, so the API's records (requester, approver) still name them.
      expect(second.user('user1').id).toBe(member.id);
      expect(second.role('deployer').id).toBe(first.role('deployer').id);
      expect(second.registeredCommands().map((c) => c.name)).toEqual(['ping']);
      // The API edits the message it posted before the restart.
      const edited = await fetch(
        `${second.restUrl}/v10/channels/${first.channelId}/messages/${posted.body.id}`,
        {
          method: 'PATCH',
          headers: {
            ...bot,
            authorization: `Bot ${'another-token-after-restart'.padEnd(60, 'y')}`,
          },
          body: JSON.stringify({ content: 'deployed' }),
        },
      );
      expect(edited.status).toBe(200);
      expect(
        second
          .numberedMessages()
          .map(({ number, where, message }) => [number, where, message.content]),
      ).toEqual([
        [1, '#ops', 'deployed'],
        [2, 'thread "deploy #1"', 'build ok'],
      ]);
      expect(second.messageByNumber(1)?.id).toBe(posted.body.id);
      // A button on an earlier message can still be pressed.
      expect(second.press(posted.body.id, 'Cancel', { user: 'user1' }).name).toBe('c:1');
    } finally {
      await second.stop();
    }
  });

  it('numbers messages as members see them: ephemeral replies only for their member', async () => {
    await registerPing();
    const interaction = sim.invoke({ user: 'user1', command: 'ping' });
    await fetch(`${sim.restUrl}/v10/interactions/${interaction.id}/${interaction.token}/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 4, data: { content: 'pong', flags: 64 } }),
    });
    await api('POST', `/channels/${sim.channelId}/messages`, { content: 'public' });
    const seen = (viewer?: string) =>
      sim.numberedMessages(viewer).map((m) => `${m.number}:${m.message.content}`);
    expect(seen('user1')).toEqual(['1:pong', '2:public']);
    expect(seen('user2')).toEqual(['2:public']);
    expect(sim.messageByNumber(1, 'user2')).toBeUndefined();
    const listed = await fetch(`${sim.baseUrl}/_sim/messages?viewer=user2`).then(
      (r) => r.json() as Promise<{ messages: { number: number; where: string }[] }>,
    );
    expect(listed.messages.map((m) => [m.number, m.where])).toEqual([[2, '#ops']]);
  });

  it('refuses option values Discord’s client would not send: choices, ranges, lengths, types', async () => {
    await api('PUT', `/applications/${sim.applicationId}/guilds/${sim.guildId}/commands`, [
      {
        name: 'infra',
        description: 'Terraform',
        options: [
          {
            name: 'action',
            description: 'a',
            type: 3,
            required: true,
            choices: [
              { name: 'plan', value: 'plan' },
              { name: 'apply', value: 'apply' },
            ],
          },
          { name: 'days', description: 'd', type: 4, min_value: 1, max_value: 90 },
          { name: 'note', description: 'n', type: 3, max_length: 10 },
        ],
      },
    ]);
    const invoke = (options: Record<string, string>) => () =>
      sim.invoke({ user: 'u', command: 'infra', options });
    expect(invoke({ action: 'nuke' })).toThrow('/infra action: must be one of plan, apply');
    expect(invoke({ action: 'plan', days: '0' })).toThrow('/infra days: must be at least 1');
    expect(invoke({ action: 'plan', days: '91' })).toThrow('/infra days: must be at most 90');
    expect(invoke({ action: 'plan', days: '1.5' })).toThrow('/infra days: must be a whole number');
    expect(invoke({ action: 'plan', days: 'x' })).toThrow('/infra days: must be a number');
    expect(invoke({ action: 'plan', note: 'x'.repeat(11) })).toThrow(
      '/infra note: must be at most 10 characters',
    );
    expect(invoke({ action: 'apply', days: '90', note: 'ok' })().name).toBe('infra');
    // Autocomplete sends what is being typed, whatever it is.
    expect(
      sim.autocomplete({
        user: 'u',
        command: 'infra',
        focused: 'action',
        options: { action: 'nu' },
      }).kind,
    ).toBe('autocomplete');
  });

  it('lets only its member see and press an ephemeral message, and submit a form once', async () => {
    await registerPing();
    const interaction = sim.invoke({ user: 'user1', command: 'ping' });
    await api('POST', `/interactions/${interaction.id}/${interaction.token}/callback`, {
      type: 4,
      data: {
        content: 'sure?',
        flags: 64,
        components: [
          { type: 1, components: [{ type: 2, style: 1, label: 'Yes', custom_id: 'y' }] },
        ],
      },
    });
    const ephemeral = [...sim.messages.values()].find((m) => m.content === 'sure?');
    expect(() => sim.press(ephemeral!.id, 'Yes', { user: 'user2' })).toThrow(
      'user2 cannot see that message (it is only for its member)',
    );
    expect(sim.press(ephemeral!.id, 'Yes', { user: 'user1' }).name).toBe('y');

    const asking = sim.invoke({ user: 'user1', command: 'ping' });
    await api('POST', `/interactions/${asking.id}/${asking.token}/callback`, {
      type: 9,
      data: {
        custom_id: 'form',
        title: 'Confirm',
        components: [
          { type: 1, components: [{ type: 4, custom_id: 'why', label: 'Why', style: 1 }] },
        ],
      },
    });
    expect(() => sim.submitModal(asking.id, { why: 'x' }, { user: 'user2' })).toThrow(
      'user2 cannot submit a form opened for another member',
    );
    expect(() => sim.submitModal(asking.id, { because: 'x' }, { user: 'user1' })).toThrow(
      'the form has no field because (fields: why)',
    );
    expect(sim.submitModal(asking.id, { why: 'x' }, { user: 'user1' }).name).toBe('form');
    expect(() => sim.submitModal(asking.id, { why: 'again' }, { user: 'user1' })).toThrow(
      'that form was already submitted',
    );
  });

  it('holds a bot token to 50 requests a second across routes, and counts invalid requests', async () => {
    const channel = `/channels/${sim.channelId}`;
    const answers = await Promise.all(Array.from({ length: 60 }, () => api('GET', channel)));
    const limited = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(50);
    expect(limited).toHaveLength(10);
    expect(limited[0]?.body).toMatchObject({ global: true, retry_after: expect.any(Number) });
    expect(limited[0]?.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited[0]?.headers.get('x-ratelimit-scope')).toBe('global');
    // 401s count toward the ban at 10,000 in 10 minutes; so did the global 429s.
    await api('GET', channel, undefined, { authorization: 'Bot wrong' });
    const state = await fetch(`${sim.baseUrl}/_sim/state`).then((r) => r.json());
    expect(state).toMatchObject({ invalidRequests: 11, globalRateLimited: 10 });
  });

  it('answers what a server admin set up: roles, the bot as a member, channel overwrites', async () => {
    const approver = sim.role('approver');
    const roles = await api('GET', `/guilds/${sim.guildId}/roles`);
    expect(roles.status).toBe(200);
    expect(roles.body.map((r: { name: string }) => r.name)).toEqual(['@everyone', 'approver']);
    expect(roles.body[1]).toMatchObject({ id: approver.id, mentionable: false });
    expect(BigInt(roles.body[0].permissions) & (1n << 11n)).toBe(1n << 11n);
    const member = await api('GET', `/guilds/${sim.guildId}/members/${sim.applicationId}`);
    expect(member).toMatchObject({
      status: 200,
      body: { user: { id: sim.applicationId }, roles: [] },
    });
    expect(await api('GET', `/guilds/${sim.guildId}/members/1000000000000000001`)).toMatchObject({
      status: 404,
      body: { code: 10007 },
    });
    expect(await api('GET', `/guilds/1000000000000000001/roles`)).toMatchObject({
      status: 404,
      body: { code: 10004 },
    });
    expect((await api('GET', `/channels/${sim.channelId}`)).body.permission_overwrites).toEqual([]);
    sim.withholdPermission(sim.channelId, 'EmbedLinks', 'CreatePublicThreads');
    expect((await api('GET', `/channels/${sim.channelId}`)).body.permission_overwrites).toEqual([
      { id: sim.applicationId, type: 1, allow: '0', deny: String((1n << 14n) | (1n << 35n)) },
    ]);
  });

  it('withholds channel permissions from the bot: sending, threads, embeds, role pings', async () => {
    const oncall = sim.role('oncall');
    const post = (body: Record<string, unknown>) =>
      api('POST', `/channels/${sim.channelId}/messages`, body);
    sim.withholdPermission(sim.channelId, 'EmbedLinks', 'MentionEveryone', 'CreatePublicThreads');
    const posted = await post({ content: `<@&${oncall.id}> down`, embeds: [{ title: 'Details' }] });
    expect(posted.status).toBe(200);
    expect(posted.body.embeds).toEqual([]);
    expect(sim.messages.get(posted.body.id)?.pinged).toEqual({
      roles: [],
      users: [],
      everyone: false,
    });
    const thread = await api(
      'POST',
      `/channels/${sim.channelId}/messages/${posted.body.id}/threads`,
      {
        name: 't',
      },
    );
    expect(thread).toMatchObject({ status: 403, body: { code: 50013 } });
    const permissions = BigInt(sim.appPermissions(sim.channelId));
    expect(permissions & (1n << 14n)).toBe(0n);
    expect(permissions & (1n << 11n)).toBe(1n << 11n);

    sim.withholdPermission(sim.channelId, 'SendMessages');
    expect(await post({ content: 'x' })).toMatchObject({ status: 403, body: { code: 50013 } });
    sim.grantPermission(sim.channelId, 'SendMessages', 'EmbedLinks', 'MentionEveryone');
    const again = await post({ content: `<@&${oncall.id}>`, embeds: [{ title: 'Details' }] });
    expect(again.body.embeds).toHaveLength(1);
    expect(sim.messages.get(again.body.id)?.pinged?.roles).toEqual([oncall.id]);
    // Members read whom it notified by name; the one whose ping was suppressed notified nobody.
    expect(sim.pingNote(sim.messages.get(again.body.id) as StoredMessage)).toBe(
      '🔔 pinged @oncall',
    );
    expect(sim.pingNote(sim.messages.get(posted.body.id) as StoredMessage)).toBeNull();
    const user = sim.user('user7');
    const both = await post({
      content: `<@&${oncall.id}> <@${user.id}>`,
      allowed_mentions: { parse: [], roles: [oncall.id], users: [user.id] },
    });
    expect(sim.pingNote(sim.messages.get(both.body.id) as StoredMessage)).toBe(
      '🔔 pinged @oncall, @user7',
    );
  });

  it('takes injected errors and outages over its control plane', async () => {
    const control = (method: string, body?: unknown) =>
      fetch(`${sim.baseUrl}/_sim/faults`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    await control('POST', { route: '^GET /channels/', status: 503, count: 1 });
    expect((await api('GET', `/channels/${sim.channelId}`)).status).toBe(503);
    expect((await api('GET', `/channels/${sim.channelId}`)).status).toBe(200);
    await control('POST', { outageMs: 60_000 });
    await expect(api('GET', `/channels/${sim.channelId}`)).rejects.toThrow();
    await control('DELETE');
    expect((await api('GET', `/channels/${sim.channelId}`)).status).toBe(200);
  });

  it('refuses a state of another version', () => {
    expect(
      () =>
        new DiscordSimulator({ botToken: TOKEN, state: { ...sim.snapshot(), version: 2 as 1 } }),
    ).toThrow('Discord simulator state version 2 is not 1');
  });
});
