import {
  jsonOrUndefined,
  prepareDiscordConformance,
  readBody,
  recordDiscordExchange,
  FaultPlan,
  SimHttpServer,
} from '@chatops/sim-kit';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  ChannelType,
  ComponentType,
  GatewayCloseCodes,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  type UserFlags,
  type APIApplicationCommand,
  type APIRole,
  type APIUser,
} from 'discord-api-types/v10';
import { modalInputs } from './console-text';
import { DiscordHttpError, errors } from './errors';
import { SimulatedGateway } from './gateway';
import { ConversationEvent, SimInteraction, StoredMessage, type MessagePings } from './interaction';
import { validateMessage, type MessageBody } from './limits';
import { BucketConfig, RateLimiter } from './rate-limits';
import { snowflake, snowflakeTime } from './snowflake';
import { CHANNEL_PERMISSIONS, GlobalLimits, type ChannelPermission } from './global-limits';
import { asEmbedResponse, withComponentIds } from './message-shape';
import { toOptions } from './options';
import { simControl } from './control';
import { pingsOf } from './pings';

export interface SimulatorOptions {
  /** The bot token the simulator accepts (REST `Authorization: Bot …` and gateway IDENTIFY). */
  botToken: string;
  applicationId?: string;
  guildId?: string;
  guildName?: string;
  channelName?: string;
  /** Discord's first-response deadline (3 s). */
  responseDeadlineMs?: number;
  /** Interaction token lifetime for follow-ups and edits (15 min). */
  tokenLifetimeMs?: number;
  heartbeatIntervalMs?: number;
  rateLimits?: BucketConfig[];
  /** Discord's global limit of a bot token (default 50 a second; 0: none). */
  globalRequestsPerSecond?: number;
  log?: (line: string) => void;
  /** State from an earlier `snapshot()`: the guild, members, commands and messages carry on. */
  state?: DiscordSimState;
  /** Called, synchronously, after every change to the state (before the answer that reports it). */
  onChange?: () => void;
}

/** The most messages a snapshot keeps (the newest): a sandbox's history, not an archive. */
export const SNAPSHOT_MESSAGES = 2000;

/**
 * What the simulator knows that outlives a restart, as JSON. Interactions are not in it: their
 * tokens die with the bot's gateway session, as they would for a restarted bot.
 */
export interface DiscordSimState {
  version: 1;
  applicationId: string;
  guildId: string;
  channelId: string;
  users: Record<string, APIUser>;
  roles: APIRole[];
  commands: Record<string, APIApplicationCommand[]>;
  threads: { id: string; name: string; parent_id: string }[];
  /** Text channels besides `channelId` (absent in states saved before there were any). */
  channels?: { id: string; name: string }[];
  messages: StoredMessage[];
  incomingWebhooks: { id: string; token: string; name: string }[];
}

export interface SimUserRef {
  /** A short handle such as `user1`; ids are derived from it, so they are stable. */
  user: string;
  /** Guild role names the member holds (created in the guild on first use). */
  roles?: string[];
}

export interface InvokeCommand extends SimUserRef {
  command: string;
  options?: Record<string, string>;
  channelId?: string;
  /** Send it even if the bot never registered it (a stale command in a client's cache). */
  allowUnregistered?: boolean;
}

/** Default buckets: close to what Discord applies to the routes the bot uses. */
export const DEFAULT_RATE_LIMITS: BucketConfig[] = [
  { route: /^(POST|PATCH) \/channels\/\d+\/messages/, limit: 5, windowMs: 5000 },
  { route: /^(POST|PATCH) \/webhooks\//, limit: 30, windowMs: 2000 },
  { route: /^PUT \/applications\//, limit: 2, windowMs: 20000 },
];

const API_PREFIX = '/api/v10';
/** How long Discord remembers an enforced nonce ("a few minutes"). */
const NONCE_WINDOW_MS = 5 * 60_000;
const ALL_PERMISSIONS = '2251799813685247';

interface Route {
  method: string;
  pattern: RegExp;
  auth: boolean;
  /** `param(i)`: the i-th capture group of the path pattern. */
  handle: (param: (index: number) => string, body: unknown, query: URLSearchParams) => unknown;
  /** What a body is answered with (default 200; 204 without one). */
  status?: number;
}

/**
 * The part of Discord API v10 the bot uses, on loopback: REST, the gateway, interactions with
 * Discord's deadlines, message limits and rate limits, and a control surface (`/_sim/*` over
 * HTTP, or the methods here) to act as users. The real discord.js client talks to it unchanged.
 */
export class DiscordSimulator extends EventEmitter {
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly botUser: APIUser;
  readonly rateLimits: RateLimiter;
  readonly interactions = new Map<string, SimInteraction>();
  /** Channel messages in order (interaction replies included), by id. */
  readonly messages = new Map<string, StoredMessage>();
  readonly requests: string[] = [];
  /** When each of `requests` arrived (ms since the epoch), index for index. */
  readonly requestTimes: number[] = [];
  /** Messages the bot token posted or edited through channel routes (not interaction replies), in order. */
  readonly channelFeed: { seq: number; type: 'message' | 'edit'; message: StoredMessage }[] = [];
  private readonly commands = new Map<string, APIApplicationCommand[]>();
  private readonly roles = new Map<string, APIRole>();
  private readonly users = new Map<string, APIUser>();
  private readonly threads: { id: string; name: string; parent_id: string }[] = [];
  private readonly extraChannels = new Map<string, string>();
  private readonly http: SimHttpServer;
  private readonly gateway: SimulatedGateway;
  private readonly routes: Route[];
  private readonly options: Required<
    Omit<SimulatorOptions, 'log' | 'rateLimits' | 'state' | 'onChange'>
  > &
    Pick<SimulatorOptions, 'log' | 'onChange'>;
  private readonly incomingWebhooks = new Map<
    string,
    { id: string; token: string; name: string }
  >();
  private authRefusals = 0;
  /** Channel permissions the bot was not given, by channel (threads take their parent's). */
  private readonly withheld = new Map<string, Set<ChannelPermission>>();
  /** The 50-a-second limit and the invalid-request count, across every route. */
  readonly globalLimits: GlobalLimits;
  /** Outages and injected errors (`goAway`, `failNext`, `POST /_sim/faults`). */
  readonly faults = new FaultPlan();

  constructor(options: SimulatorOptions) {
    super();
    const state = options.state;
    if (state && state.version !== 1)
      throw new Error(`Discord simulator state version ${String(state.version)} is not 1`);
    this.options = {
      applicationId: state?.applicationId ?? options.applicationId ?? snowflake(),
      guildId: state?.guildId ?? options.guildId ?? snowflake(),
      guildName: options.guildName ?? 'ChatOps Sandbox',
      channelName: options.channelName ?? 'ops',
      responseDeadlineMs: options.responseDeadlineMs ?? 3000,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 15 * 60 * 1000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41250,
      globalRequestsPerSecond: options.globalRequestsPerSecond ?? 50,
      botToken: options.botToken,
      log: options.log,
      onChange: options.onChange,
    };
    this.applicationId = this.options.applicationId;
    this.guildId = this.options.guildId;
    this.channelId = state?.channelId ?? snowflake();
    this.botUser = {
      id: this.applicationId,
      username: 'ChatOps',
      discriminator: '0',
      global_name: 'ChatOps',
      avatar: null,
      bot: true,
      public_flags: 0 as UserFlags,
      flags: 0 as UserFlags,
      primary_guild: null,
    };
    this.rateLimits = new RateLimiter(options.rateLimits ?? DEFAULT_RATE_LIMITS);
    this.globalLimits = new GlobalLimits(this.options.globalRequestsPerSecond);
    this.roles.set(this.guildId, this.makeRole(this.guildId, '@everyone', 0));
    if (state) this.restore(state);
    this.gateway = new SimulatedGateway({
      token: this.options.botToken,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      resumeUrl: () => this.gatewayUrl,
      onIdentify: (sessionId) => ({
        ready: {
          v: 10,
          user: this.botUser,
          guilds: [{ id: this.guildId, unavailable: true }],
          session_id: sessionId,
          resume_gateway_url: this.gatewayUrl,
          shard: [0, 1],
          application: { id: this.applicationId, flags: 0 },
          user_settings: {},
          private_channels: [],
        },
        then: [{ t: 'GUILD_CREATE', d: this.guildPayload() }],
      }),
      log: this.options.log,
    });
    this.routes = this.buildRoutes();
    this.http = new SimHttpServer('Discord stand-in', (req, res) => void this.handle(req, res));
    this.http.server.on('upgrade', (req, socket, head) => {
      if ((req.url ?? '').startsWith('/gateway')) this.gateway.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  /** The state as JSON, for `state` on a later start (the sandbox keeps it across restarts). */
  snapshot(): DiscordSimState {
    return structuredClone({
      version: 1,
      applicationId: this.applicationId,
      guildId: this.guildId,
      channelId: this.channelId,
      users: Object.fromEntries(this.users),
      roles: [...this.roles.values()],
      commands: Object.fromEntries(this.commands),
      threads: this.threads,
      channels: [...this.extraChannels].map(([id, name]) => ({ id, name })),
      messages: [...this.messages.values()].slice(-SNAPSHOT_MESSAGES),
      incomingWebhooks: [...this.incomingWebhooks.values()],
    });
  }

  private restore(state: DiscordSimState): void {
    const copy = structuredClone(state);
    for (const [handle, user] of Object.entries(copy.users)) this.users.set(handle, user);
    for (const role of copy.roles) this.roles.set(role.id, role);
    for (const [scope, commands] of Object.entries(copy.commands))
      this.commands.set(scope, commands);
    this.threads.push(...copy.threads);
    for (const channel of copy.channels ?? []) this.extraChannels.set(channel.id, channel.name);
    for (const message of copy.messages) {
      // A reply that was still "thinking" belonged to an interaction that died with the restart.
      delete message.thinking;
      this.messages.set(message.id, message);
    }
    for (const webhook of copy.incomingWebhooks) this.incomingWebhooks.set(webhook.id, webhook);
  }

  private changed(): void {
    this.options.onChange?.();
  }

  async start(port = 0, host = '127.0.0.1'): Promise<this> {
    prepareDiscordConformance();
    await this.http.listen(port, host);
    return this;
  }

  async stop(): Promise<void> {
    for (const interaction of this.interactions.values()) interaction.acknowledge();
    await this.gateway.close();
    await this.http.close();
  }

  get baseUrl(): string {
    return this.http.url;
  }

  /** What the bot sets as its REST base (DISCORD_API_URL). */
  get restUrl(): string {
    return `${this.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return this.baseUrl.replace(/^http/, 'ws') + '/gateway';
  }

  /** A gateway session is connected and identified. */
  get botConnected(): boolean {
    return this.gateway.connected;
  }

  get gatewayStats(): { identifies: number; resumes: number } {
    return { identifies: this.gateway.identifies, resumes: this.gateway.resumes };
  }

  /** Drops the bot's gateway connection (resumable by default, as a network blip is). */
  disconnectGateway(code: number = GatewayCloseCodes.UnknownError): void {
    this.gateway.disconnect(code);
  }

  registeredCommands(guildId?: string): APIApplicationCommand[] {
    const global = this.commands.get('global') ?? [];
    const guild = this.commands.get(guildId ?? this.guildId) ?? [];
    return [...guild, ...global];
  }

  // ---- acting as users ----

  user(handle: string): APIUser {
    let user = this.users.get(handle);
    if (!user) {
      user = {
        id: snowflake(),
        username: handle,
        discriminator: '0',
        global_name: handle,
        avatar: null,
        public_flags: 0 as UserFlags,
        flags: 0 as UserFlags,
        primary_guild: null,
      };
      this.users.set(handle, user);
    }
    return user;
  }

  role(name: string): APIRole {
    const existing = [...this.roles.values()].find((r) => r.name === name);
    if (existing) return existing;
    const role = this.makeRole(snowflake(), name, this.roles.size);
    this.roles.set(role.id, role);
    this.gateway.dispatch('GUILD_ROLE_CREATE', { guild_id: this.guildId, role });
    return role;
  }

  /** A member runs a slash command. Throws for commands the bot did not register, unless allowed. */
  invoke(request: InvokeCommand): SimInteraction {
    const definition = this.registeredCommands().find((c) => c.name === request.command);
    if (!definition && !request.allowUnregistered) {
      const known =
        this.registeredCommands()
          .map((c) => `/${c.name}`)
          .join(', ') || 'none';
      throw new Error(`Unknown command /${request.command}. Registered commands: ${known}`);
    }
    const options = definition ? toOptions(definition, request.options ?? {}) : [];
    return this.createInteraction(request, 'command', request.command, (base) => ({
      ...base,
      type: InteractionType.ApplicationCommand,
      data: {
        id: definition?.id ?? snowflake(),
        name: request.command,
        type: 1,
        options,
        guild_id: this.guildId,
      },
    }));
  }

  /** A member presses a button on a message. */
  press(messageId: string, label: string, who: SimUserRef): SimInteraction {
    const message = this.messages.get(messageId);
    if (!message) throw new Error(`no message ${messageId}`);
    // An ephemeral message exists for its member only: nobody else sees it, let alone presses it.
    if (message.visibleTo && message.visibleTo !== this.user(who.user).id)
      throw new Error(`${who.user} cannot see that message (it is only for its member)`);
    const button = (
      message.components as {
        components?: { label?: string; custom_id?: string; disabled?: boolean }[];
      }[]
    )
      .flatMap((row) => row.components ?? [])
      .find((c) => c.label?.toLowerCase() === label.toLowerCase());
    if (!button?.custom_id) throw new Error(`no button [${label}] on that message`);
    if (button.disabled) throw new Error(`[${label}] is disabled`);
    const interaction = this.createInteraction(
      { ...who, channelId: message.channel_id },
      'component',
      button.custom_id,
      (base) => ({
        ...base,
        type: InteractionType.MessageComponent,
        data: { custom_id: button.custom_id, component_type: ComponentType.Button },
        message: this.toApiMessage(message),
      }),
    );
    interaction.componentMessageId = message.id;
    return interaction;
  }

  /** `#ops`, or `thread "name"` for a thread: where a message stands, as a member reads it. */
  channelLabel(channelId: string): string {
    if (channelId === this.channelId) return `#${this.options.channelName}`;
    const extra = this.extraChannels.get(channelId);
    if (extra) return `#${extra}`;
    const thread = this.threads.find((t) => t.id === channelId);
    return thread ? `thread "${thread.name}"` : `channel ${channelId}`;
  }

  /**
   * Every message a member can see (the channel, its threads, their own ephemeral replies),
   * oldest first, numbered from 1 in the order they were posted: the numbers the console shows
   * and presses by. They stay the same across a restart of a sandbox that kept its state.
   */
  numberedMessages(viewer?: string): { number: number; where: string; message: StoredMessage }[] {
    const viewerId = viewer ? this.user(viewer).id : undefined;
    let number = 0;
    const list: { number: number; where: string; message: StoredMessage }[] = [];
    for (const message of this.messages.values()) {
      number++;
      if (message.visibleTo && message.visibleTo !== viewerId) continue;
      list.push({ number, where: this.channelLabel(message.channel_id), message });
    }
    return list;
  }

  /** The number `numberedMessages` gives this message (0 when it is not there). */
  messageNumber(messageId: string): number {
    let number = 0;
    for (const id of this.messages.keys()) {
      number++;
      if (id === messageId) return number;
    }
    return 0;
  }

  /** The message with this number, if the viewer can see it. */
  messageByNumber(number: number, viewer?: string): StoredMessage | undefined {
    return this.numberedMessages(viewer).find((m) => m.number === number)?.message;
  }

  /** Messages in a channel (the ops channel by default), oldest first, as a member would see them. */
  channelMessages(channelId = this.channelId, viewer?: string): StoredMessage[] {
    return [...this.messages.values()].filter(
      (m) => m.channel_id === channelId && (!m.visibleTo || m.visibleTo === viewer),
    );
  }

  /** Resolves once the channel feed has more than `after` entries, or after `timeoutMs`. */
  waitForChannelFeed(after: number, timeoutMs: number): Promise<DiscordSimulator['channelFeed']> {
    if (this.channelFeed.length > after) return Promise.resolve(this.channelFeed.slice(after));
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.off('feed', done);
        resolve(this.channelFeed.slice(after));
      };
      const timer = setTimeout(done, timeoutMs);
      this.on('feed', done);
    });
  }

  /** A member types in an autocomplete option; the bot's choices arrive as an `autocomplete` event. */
  autocomplete(request: InvokeCommand & { focused: string }): SimInteraction {
    const definition = this.registeredCommands().find((c) => c.name === request.command);
    if (!definition) throw new Error(`Unknown command /${request.command}`);
    const values = { ...(request.options ?? {}) };
    values[request.focused] ??= '';
    const options = toOptions(definition, values, { partial: true }).map((o) =>
      o.name === request.focused ? { ...o, focused: true } : o,
    );
    return this.createInteraction(request, 'autocomplete', request.command, (base) => ({
      ...base,
      type: InteractionType.ApplicationCommandAutocomplete,
      data: { id: definition.id, name: request.command, type: 1, options, guild_id: this.guildId },
    }));
  }

  /** A member submits the modal the bot opened in answer to `interactionId`. */
  submitModal(
    interactionId: string,
    values: Record<string, string>,
    who: SimUserRef,
  ): SimInteraction {
    const opened = this.interactions.get(interactionId);
    const modal = opened?.events.find((e) => e.type === 'modal')?.modal as
      | { custom_id: string }
      | undefined;
    if (!opened || !modal) throw new Error(`interaction ${interactionId} opened no modal`);
    // Discord closes a form once it is submitted; only the member it opened for can submit it.
    if (opened.modalSubmitted) throw new Error('that form was already submitted');
    if (this.user(who.user).id !== opened.userId)
      throw new Error(`${who.user} cannot submit a form opened for another member`);
    opened.modalSubmitted = true;
    const inputs = modalInputs(modal);
    const unknown = Object.keys(values).filter((k) => !inputs.some((i) => i.custom_id === k));
    if (unknown.length)
      throw new Error(
        `the form has no field ${unknown.join(', ')} (fields: ${inputs.map((i) => i.custom_id).join(', ')})`,
      );
    return this.createInteraction(
      { ...who, channelId: opened.channelId },
      'component',
      modal.custom_id,
      (base) => ({
        ...base,
        type: InteractionType.ModalSubmit,
        data: {
          custom_id: modal.custom_id,
          components: inputs.map((input) => ({
            type: ComponentType.ActionRow,
            components: [
              {
                type: ComponentType.TextInput,
                custom_id: input.custom_id,
                value: values[input.custom_id] ?? '',
              },
            ],
          })),
        },
      }),
    );
  }

  // ---- internals ----

  private feed(type: 'message' | 'edit', message: StoredMessage): void {
    this.channelFeed.push({
      seq: this.channelFeed.length + 1,
      type,
      message: structuredClone(message),
    });
    this.emit('feed');
  }

  private createInteraction(
    who: SimUserRef & { channelId?: string },
    kind: SimInteraction['kind'],
    name: string,
    build: (base: Record<string, unknown>) => Record<string, unknown>,
  ): SimInteraction {
    const user = this.user(who.user);
    const roleIds = (who.roles ?? []).map((r) => this.role(r).id);
    const channelId = who.channelId ?? this.channelId;
    const interaction = new SimInteraction(
      snowflake(),
      `aW50ZXJhY3Rpb24${randomBytes(48).toString('base64url')}`,
      kind,
      name,
      user.id,
      channelId,
      Date.now(),
      this.options.responseDeadlineMs,
      this.options.tokenLifetimeMs,
    );
    this.interactions.set(interaction.id, interaction);
    interaction.on('event', (event: ConversationEvent) =>
      this.emit('conversation', interaction, event),
    );
    const base = {
      id: interaction.id,
      application_id: this.applicationId,
      token: interaction.token,
      version: 1,
      guild_id: this.guildId,
      channel_id: channelId,
      channel: {
        id: channelId,
        type: ChannelType.GuildText,
        name: this.options.channelName,
        guild_id: this.guildId,
      },
      member: {
        user,
        roles: roleIds,
        permissions: '0',
        joined_at: new Date(0).toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        nick: null,
        avatar: null,
        premium_since: null,
        pending: false,
      },
      app_permissions: this.appPermissions(channelId),
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': this.guildId },
      context: 0,
      attachment_size_limit: 10485760,
    };
    this.gateway.dispatch('INTERACTION_CREATE', build(base));
    return interaction;
  }

  private buildRoutes(): Route[] {
    const id = '(\\d+)';
    const token = '([A-Za-z0-9_.-]+)';
    const r = (
      method: string,
      path: string,
      auth: boolean,
      handle: Route['handle'],
      status = 200,
    ): Route => ({
      method,
      pattern: new RegExp(`^${path}$`),
      auth,
      handle,
      status,
    });
    return [
      r('GET', '/gateway', false, () => ({ url: this.gatewayUrl })),
      r('GET', '/gateway/bot', true, () => ({
        url: this.gatewayUrl,
        shards: 1,
        session_start_limit: {
          total: 1000,
          remaining: 999,
          reset_after: 86_400_000,
          max_concurrency: 1,
        },
      })),
      r('GET', '/users/@me', true, () => ({
        ...this.botUser,
        mfa_enabled: false,
        locale: 'en-US',
      })),
      r('GET', '/applications/@me', true, () => ({
        id: this.applicationId,
        name: 'ChatOps',
        bot: this.botUser,
        flags: 0,
      })),
      r('GET', `/applications/${id}/commands`, true, (m) => this.listCommands(m(1), 'global')),
      r('PUT', `/applications/${id}/commands`, true, (m, body) =>
        this.putCommands(m(1), 'global', body),
      ),
      r('GET', `/applications/${id}/guilds/${id}/commands`, true, (m) =>
        this.listCommands(m(1), m(2)),
      ),
      r('PUT', `/applications/${id}/guilds/${id}/commands`, true, (m, body) =>
        this.putCommands(m(1), m(2), body),
      ),
      r('POST', `/interactions/${id}/${token}/callback`, false, (m, body, q) =>
        this.callback(m(1), m(2), body, q),
      ),
      r('GET', `/webhooks/${id}/${token}/messages/(@original|\\d+)`, false, (m) =>
        this.toApiMessage(this.webhookMessage(m(1), m(2), m(3))),
      ),
      r('PATCH', `/webhooks/${id}/${token}/messages/(@original|\\d+)`, false, (m, body) =>
        this.editWebhookMessage(m(1), m(2), m(3), body),
      ),
      r('DELETE', `/webhooks/${id}/${token}/messages/(@original|\\d+)`, false, (m) => {
        this.messages.delete(this.webhookMessage(m(1), m(2), m(3)).id);
        return undefined;
      }),
      r('POST', `/webhooks/${id}/${token}`, false, (m, body, q) =>
        this.followUp(m(1), m(2), body, q),
      ),
      r('GET', `/channels/${id}`, true, (m) => this.channel(m(1))),
      r('POST', `/channels/${id}/messages`, true, (m, body) => this.postMessage(m(1), body)),
      r('GET', `/channels/${id}/messages/${id}`, true, (m) =>
        this.toApiMessage(this.channelMessage(m(1), m(2))),
      ),
      r('PATCH', `/channels/${id}/messages/${id}`, true, (m, body) =>
        this.editChannelMessage(m(1), m(2), body),
      ),
      // Discord answers a new thread with 201.
      r('POST', `/channels/${id}/threads`, true, (m, body) => this.createThread(m(1), body), 201),
      r(
        'POST',
        `/channels/${id}/messages/${id}/threads`,
        true,
        (m, body) => this.createThread(m(1), body, this.channelMessage(m(1), m(2)).id),
        201,
      ),
    ];
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    // Set once the request is a Discord API call: its answer is then held to the description.
    let exchange: { method: string; path: string; request: unknown } | null = null;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (exchange) {
        recordDiscordExchange({ ...exchange, status, response: body });
        this.globalLimits.answered(status, headers['x-ratelimit-scope']);
      }
      // A 204 has no body and, as from Discord, no content type.
      res.writeHead(
        status,
        body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      );
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      const raw = await readBody(req);
      if (url.pathname.startsWith('/_sim/')) {
        const result = await simControl(this, req.method ?? 'GET', url, raw);
        if (req.method !== 'GET') this.changed();
        return send(result.status, result.body);
      }
      if (!url.pathname.startsWith(API_PREFIX)) throw errors.notFound();
      if (this.faults.down) {
        req.socket.destroy();
        return;
      }
      const path = decodeURIComponent(url.pathname.slice(API_PREFIX.length));
      const key = `${req.method} ${path}`;
      exchange = { method: req.method ?? 'GET', path, request: jsonOrUndefined(raw) };
      this.requests.push(key);
      this.requestTimes.push(Date.now());
      const injected = this.faults.take(key);
      if (injected !== null)
        return send(injected, {
          message: `${injected}: ${injected === 502 ? 'Bad Gateway' : 'Injected fault'}`,
          code: 0,
        });
      const candidates = this.routes.filter((route) => route.pattern.test(path));
      if (candidates.length === 0) throw errors.notFound();
      const route = candidates.find((c) => c.method === req.method);
      if (!route) throw errors.methodNotAllowed();
      if (route.auth && this.authRefusals > 0) {
        this.authRefusals--;
        throw errors.unauthorized();
      }
      if (route.auth && req.headers.authorization !== `Bot ${this.options.botToken}`)
        throw errors.unauthorized();
      if (route.auth) {
        const waitMs = this.globalLimits.admit();
        if (waitMs !== null)
          return send(
            429,
            {
              message: 'You are being rate limited.',
              retry_after: waitMs / 1000,
              global: true,
              code: 0,
            },
            {
              'retry-after': String(Math.ceil(waitMs / 1000)),
              'x-ratelimit-global': 'true',
              'x-ratelimit-scope': 'global',
            },
          );
      }
      const channelId = /^\/channels\/(\d+)\/messages/.exec(path)?.[1];
      if (channelId && req.method !== 'GET' && this.lacks(channelId, 'SendMessages'))
        throw errors.missingPermissions();
      const threadIn = /^\/channels\/(\d+)(?:\/messages\/\d+)?\/threads$/.exec(path)?.[1];
      if (threadIn && req.method === 'POST' && this.lacks(threadIn, 'CreatePublicThreads'))
        throw errors.missingPermissions();
      const limit = this.rateLimits.check(key);
      if (limit.retryAfterMs !== undefined) {
        const retryAfter = limit.retryAfterMs / 1000;
        this.options.log?.(`rest: 429 ${key} (retry after ${retryAfter}s)`);
        return send(
          429,
          {
            message: 'You are being rate limited.',
            retry_after: retryAfter,
            global: false,
            code: 0,
          },
          {
            ...limit.headers,
            'retry-after': String(Math.ceil(retryAfter)),
            'x-ratelimit-scope': 'user',
          },
        );
      }
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        throw errors.badJson();
      }

      const match = route.pattern.exec(path) ?? [];
      const result = route.handle((index) => match[index] ?? '', body, url.searchParams);
      if (req.method !== 'GET') this.changed();
      send(result === undefined ? 204 : (route.status ?? 200), result, limit.headers);
    } catch (error) {
      if (error instanceof DiscordHttpError) return send(error.status, error.body);
      this.options.log?.(`rest: 500 ${(error as Error).stack}`);
      send(500, { message: '500: Internal Server Error', code: 0 });
    }
  }

  private listCommands(applicationId: string, scope: string): APIApplicationCommand[] {
    if (applicationId !== this.applicationId) throw errors.unknownApplication();
    return this.commands.get(scope) ?? [];
  }

  private putCommands(
    applicationId: string,
    scope: string,
    body: unknown,
  ): APIApplicationCommand[] {
    if (applicationId !== this.applicationId) throw errors.unknownApplication();
    if (!Array.isArray(body))
      throw errors.invalidForm({
        _errors: [{ code: 'BASE_TYPE_BAD_ARRAY', message: 'Must be an array.' }],
      });
    const previous = new Map((this.commands.get(scope) ?? []).map((c) => [c.name, c]));
    const stored = (body as Record<string, unknown>[]).map((command) => ({
      id: previous.get(String(command['name']))?.id ?? snowflake(),
      application_id: this.applicationId,
      ...(scope === 'global' ? {} : { guild_id: scope }),
      version: snowflake(),
      type: 1,
      default_member_permissions: null,
      nsfw: false,
      description_localizations: null,
      name_localizations: null,
      ...command,
    })) as APIApplicationCommand[];
    this.commands.set(scope, stored);
    this.options.log?.(
      `rest: ${stored.length} commands registered (${scope === 'global' ? 'global' : 'guild'})`,
    );
    return stored;
  }

  private interaction(id: string, token: string): SimInteraction {
    const interaction = this.interactions.get(id);
    if (!interaction || interaction.token !== token) throw errors.unknownInteraction();
    return interaction;
  }

  private interactionByToken(applicationId: string, token: string): SimInteraction {
    if (applicationId !== this.applicationId) throw errors.unknownWebhook();
    const interaction = [...this.interactions.values()].find((i) => i.token === token);
    if (!interaction) throw errors.unknownWebhook();
    if (interaction.expired) throw errors.invalidWebhookToken();
    return interaction;
  }

  private callback(id: string, token: string, body: unknown, query: URLSearchParams): unknown {
    const interaction = this.interaction(id, token);
    const { type, data } = (body ?? {}) as {
      type?: number;
      data?: MessageBody & { choices?: unknown[] };
    };
    // Late is late: Discord has already told the user the application did not respond.
    if (interaction.timedOut || Date.now() - interaction.createdAt > interaction.deadlineMs)
      throw errors.unknownInteraction();
    if (interaction.acknowledged) throw errors.alreadyAcknowledged();
    const ephemeral = ((data?.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
    let message: StoredMessage | undefined;
    switch (type) {
      case InteractionResponseType.ChannelMessageWithSource:
        validateMessage(data ?? {}, { requireContent: true });
        message = this.store(
          interaction.channelId,
          data ?? {},
          ephemeral ? interaction.userId : undefined,
        );
        interaction.acknowledge();
        interaction.originalMessageId = message.id;
        interaction.record('reply', ephemeral, { message });
        break;
      case InteractionResponseType.DeferredChannelMessageWithSource:
        message = this.store(interaction.channelId, {}, ephemeral ? interaction.userId : undefined);
        message.thinking = true;
        interaction.acknowledge();
        interaction.originalMessageId = message.id;
        interaction.record('deferred', ephemeral, { message });
        break;
      case InteractionResponseType.DeferredMessageUpdate:
        // Editing @original later edits the message the button is on.
        interaction.originalMessageId = this.findComponentMessage(interaction).id;
        interaction.acknowledge();
        interaction.record('deferred-update', false);
        break;
      case InteractionResponseType.UpdateMessage: {
        validateMessage(data ?? {}, { requireContent: false });
        const target = this.findComponentMessage(interaction);
        message = this.update(target, data ?? {});
        interaction.acknowledge();
        interaction.originalMessageId = target.id;
        // An ephemeral message stays ephemeral when a button on it updates it.
        interaction.record('update', Boolean(target.visibleTo), { message });
        break;
      }
      case InteractionResponseType.ApplicationCommandAutocompleteResult: {
        const choices = data?.choices ?? [];
        if (choices.length > 25)
          throw errors.invalidForm({
            choices: {
              _errors: [
                { code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' },
              ],
            },
          });
        interaction.acknowledge();
        interaction.record('autocomplete', true, { choices });
        break;
      }
      case InteractionResponseType.Modal:
        interaction.acknowledge();
        interaction.record('modal', true, { modal: data });
        break;
      default:
        throw errors.invalidForm({
          type: {
            _errors: [
              {
                code: 'BASE_TYPE_CHOICES',
                message: `Value must be one of ${Object.values(InteractionResponseType)
                  .filter((v) => typeof v === 'number')
                  .join(', ')}.`,
              },
            ],
          },
        });
    }
    if (query.get('with_response') === 'true') {
      return {
        interaction: {
          id: interaction.id,
          type: interaction.kind === 'command' ? 2 : 3,
          activity_instance_id: null,
          response_message_id: message?.id,
          response_message_loading: message?.thinking ?? false,
          response_message_ephemeral: ephemeral,
        },
        resource: { type, message: message ? this.toApiMessage(message) : undefined },
      };
    }
    return undefined;
  }

  private findComponentMessage(interaction: SimInteraction): StoredMessage {
    const pressed = interaction.componentMessageId
      ? this.messages.get(interaction.componentMessageId)
      : undefined;
    if (pressed) return pressed;
    const message = [...this.messages.values()]
      .reverse()
      .find((m) =>
        (m.components as { components?: { custom_id?: string }[] }[]).some((row) =>
          row.components?.some((c) => c.custom_id === interaction.name),
        ),
      );
    if (!message) throw errors.unknownMessage();
    return message;
  }

  private webhookMessage(applicationId: string, token: string, messageId: string): StoredMessage {
    const interaction = this.interactionByToken(applicationId, token);
    const id = messageId === '@original' ? interaction.originalMessageId : messageId;
    const message = id ? this.messages.get(id) : undefined;
    if (!message) throw errors.unknownMessage();
    return message;
  }

  private editWebhookMessage(
    applicationId: string,
    token: string,
    messageId: string,
    body: unknown,
  ): unknown {
    const interaction = this.interactionByToken(applicationId, token);
    const message = this.webhookMessage(applicationId, token, messageId);
    validateMessage((body ?? {}) as MessageBody, { requireContent: false });
    const wasThinking = message.thinking === true;
    const updated = this.update(message, (body ?? {}) as MessageBody);
    updated.thinking = false;
    interaction.record(wasThinking ? 'edit' : 'edit', updated.visibleTo !== undefined, {
      message: updated,
    });
    return this.toApiMessage(updated);
  }

  /**
   * An incoming webhook on the channel (what a Discord admin creates for Alertmanager's
   * discord_configs). Posts to its URL land in the channel, marked with its id.
   */
  createWebhook(name = 'Alertmanager'): { id: string; token: string; url: string } {
    const webhook = { id: snowflake(), token: randomBytes(24).toString('hex'), name };
    this.incomingWebhooks.set(webhook.id, webhook);
    return { ...webhook, url: `${this.restUrl}/v10/webhooks/${webhook.id}/${webhook.token}` };
  }

  /**
   * Discord goes away: for `ms`, every REST request has its connection dropped unanswered
   * (the gateway and the control surface stay up).
   */
  goAway(ms: number): void {
    this.faults.outage(ms);
  }

  /** The next `count` REST requests answer 502, as Discord does when its edge is in trouble. */
  failNext(count = 1): void {
    this.faults.failNext(/./, count, 502);
  }

  /**
   * The bot loses Send Messages in a channel: posts and edits there answer 403 Missing
   * Permissions until `allowChannel`.
   */
  denyChannel(channelId: string): void {
    this.withholdPermission(channelId, 'SendMessages');
  }

  allowChannel(channelId: string): void {
    this.grantPermission(channelId, 'SendMessages');
  }

  /**
   * The bot is not given these permissions in a channel (and its threads), as a server admin
   * may leave them out: without Send Messages posts and edits answer 403 Missing Permissions,
   * without Create Public Threads so do new threads, without Embed Links its embeds are dropped,
   * without Mention Everyone it pings no role that is not mentionable, nor @everyone.
   */
  withholdPermission(channelId: string, ...permissions: ChannelPermission[]): void {
    const withheld = this.withheld.get(channelId) ?? new Set<ChannelPermission>();
    for (const permission of permissions) withheld.add(permission);
    this.withheld.set(channelId, withheld);
  }

  grantPermission(channelId: string, ...permissions: ChannelPermission[]): void {
    for (const permission of permissions) this.withheld.get(channelId)?.delete(permission);
  }

  /** The bot's permissions in a channel, as an interaction's `app_permissions` gives them. */
  appPermissions(channelId: string): string {
    let bits = BigInt(ALL_PERMISSIONS);
    for (const permission of Object.keys(CHANNEL_PERMISSIONS) as ChannelPermission[])
      if (this.lacks(channelId, permission)) bits &= ~CHANNEL_PERMISSIONS[permission];
    return bits.toString();
  }

  /** Withheld in the channel itself, or (for a thread) in the channel it belongs to. */
  private lacks(channelId: string, permission: ChannelPermission): boolean {
    const parent = this.threads.find((t) => t.id === channelId)?.parent_id;
    return [channelId, parent].some((id) => id && this.withheld.get(id)?.has(permission));
  }

  /** What a post may do in a channel without some permissions: embeds dropped, fewer pings. */
  private asPermitted<T extends MessageBody>(channelId: string, data: T): T {
    return this.lacks(channelId, 'EmbedLinks') && data.embeds ? { ...data, embeds: [] } : data;
  }

  private pingsIn(channelId: string, data: MessageBody): MessagePings {
    const pinged = pingsOf(data);
    if (!this.lacks(channelId, 'MentionEveryone')) return pinged;
    return {
      roles: pinged.roles.filter((id) => this.roles.get(id)?.mentionable === true),
      users: pinged.users,
      everyone: false,
    };
  }

  /** Another text channel in the guild (for routing alerts by environment and severity). */
  addChannel(name: string): string {
    const id = snowflake();
    this.extraChannels.set(id, name);
    this.changed();
    return id;
  }

  /** The next `count` authenticated REST requests answer 401, whatever token they carry. */
  refuseAuthNext(count = 1): void {
    this.authRefusals += count;
  }

  private executeWebhook(
    id: string,
    token: string,
    body: unknown,
    query: URLSearchParams,
  ): unknown {
    const webhook = this.incomingWebhooks.get(id);
    if (!webhook || webhook.token !== token) throw errors.unknownWebhook();
    const data = (body ?? {}) as MessageBody;
    validateMessage(data, { requireContent: true });
    const pinged = pingsOf(data);
    const message = this.store(this.channelId, data);
    message.webhook_id = id;
    message.pinged = pinged;
    this.feed('message', message);
    this.emit('message', message);
    return query.get('wait') === 'true' ? this.toApiMessage(message) : undefined;
  }

  private followUp(
    applicationId: string,
    token: string,
    body: unknown,
    query: URLSearchParams,
  ): unknown {
    if (this.incomingWebhooks.has(applicationId))
      return this.executeWebhook(applicationId, token, body, query);
    const interaction = this.interactionByToken(applicationId, token);
    if (!interaction.acknowledged) throw errors.unknownWebhook();
    const data = (body ?? {}) as MessageBody;
    validateMessage(data, { requireContent: true });
    const ephemeral = ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
    const message = this.store(
      interaction.channelId,
      data,
      ephemeral ? interaction.userId : undefined,
    );
    interaction.record('followup', ephemeral, { message });
    return this.toApiMessage(message);
  }

  private channel(channelId: string): unknown {
    const thread = this.threads.find((t) => t.id === channelId);
    if (thread) {
      const messages = [...this.messages.values()].filter((m) => m.channel_id === thread.id);
      return {
        id: thread.id,
        type: ChannelType.PublicThread,
        flags: 0,
        name: thread.name,
        parent_id: thread.parent_id,
        guild_id: this.guildId,
        owner_id: this.applicationId,
        rate_limit_per_user: 0,
        thread_metadata: {
          archived: false,
          archive_timestamp: snowflakeTime(thread.id),
          auto_archive_duration: 1440,
          locked: false,
        },
        message_count: messages.length,
        total_message_sent: messages.length,
        // The bot, which started it.
        member_count: 1,
      };
    }
    const name =
      channelId === this.channelId ? this.options.channelName : this.extraChannels.get(channelId);
    if (name === undefined) throw errors.unknownChannel();
    return {
      id: channelId,
      type: ChannelType.GuildText,
      flags: 0,
      name,
      guild_id: this.guildId,
      position: 0,
      permission_overwrites: [],
    };
  }

  private postMessage(channelId: string, body: unknown): unknown {
    this.channel(channelId);
    const data = (body ?? {}) as MessageBody & { nonce?: unknown; enforce_nonce?: unknown };
    validateMessage(data, { requireContent: true });
    // enforce_nonce: the same nonce again within a few minutes returns the earlier message.
    const nonce =
      data.enforce_nonce === true && typeof data.nonce === 'string' ? data.nonce : undefined;
    if (nonce) {
      const earlier = [...this.messages.values()].find(
        (m) => m.nonce === nonce && Date.now() - Date.parse(m.timestamp) < NONCE_WINDOW_MS,
      );
      if (earlier) return this.toApiMessage(earlier);
    }
    const reference = this.replyReference(channelId, data);
    const pinged = this.pingsIn(channelId, data);
    const message = this.store(channelId, this.asPermitted(channelId, data));
    message.pinged = pinged;
    if (reference) message.message_reference = reference;
    if (nonce) message.nonce = nonce;
    this.feed('message', message);
    this.emit('message', message);
    return this.toApiMessage(message);
  }

  /**
   * A reply's `message_reference`: the message it answers must be in this channel, unless
   * `fail_if_not_exists: false`, when a reply to a missing message is posted as a plain one.
   */
  private replyReference(
    channelId: string,
    data: { message_reference?: unknown },
  ): StoredMessage['message_reference'] | null {
    const asked = data.message_reference as
      | { message_id?: unknown; fail_if_not_exists?: unknown }
      | undefined;
    if (!asked) return null;
    const target =
      typeof asked.message_id === 'string' ? this.messages.get(asked.message_id) : null;
    if (!target || target.channel_id !== channelId) {
      if (asked.fail_if_not_exists === false) return null;
      throw new DiscordHttpError(400, {
        message: 'Invalid Form Body',
        code: 50035,
        errors: {
          message_reference: {
            _errors: [{ code: 'REPLIES_UNKNOWN_MESSAGE', message: 'Unknown message' }],
          },
        },
      });
    }
    return { type: 0, message_id: target.id, channel_id: channelId, guild_id: this.guildId };
  }

  private channelMessage(channelId: string, messageId: string): StoredMessage {
    const message = this.messages.get(messageId);
    if (!message || message.channel_id !== channelId) throw errors.unknownMessage();
    return message;
  }

  private editChannelMessage(channelId: string, messageId: string, body: unknown): unknown {
    const message = this.channelMessage(channelId, messageId);
    validateMessage((body ?? {}) as MessageBody, { requireContent: false });
    const updated = this.update(message, this.asPermitted(channelId, (body ?? {}) as MessageBody));
    this.feed('edit', updated);
    this.emit('message-update', updated);
    return this.toApiMessage(updated);
  }

  /**
   * A thread of its own, or one started from a message: as on Discord, that thread has the
   * message's id, and a message starts at most one.
   */
  private createThread(channelId: string, body: unknown, fromMessageId?: string): unknown {
    this.channel(channelId);
    if (fromMessageId && this.threads.some((t) => t.id === fromMessageId))
      throw errors.threadAlreadyCreated();
    const name = String((body as { name?: unknown } | undefined)?.name ?? '');
    if (name.length < 1 || name.length > 100) {
      throw errors.invalidForm({
        name: {
          _errors: [
            { code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' },
          ],
        },
      });
    }
    const thread = { id: fromMessageId ?? snowflake(), name, parent_id: channelId };
    this.threads.push(thread);
    return this.channel(thread.id);
  }

  private store(channelId: string, body: MessageBody, visibleTo?: string): StoredMessage {
    const message: StoredMessage = {
      id: snowflake(),
      channel_id: channelId,
      content: body.content ?? '',
      embeds: (body.embeds ?? []) as Record<string, unknown>[],
      components: (body.components ?? []) as Record<string, unknown>[],
      flags: (body.flags ?? 0) & MessageFlags.Ephemeral,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      ...(visibleTo ? { visibleTo } : {}),
      ...(body.allowed_mentions ? { allowedMentions: body.allowed_mentions } : {}),
    };
    this.messages.set(message.id, message);
    return message;
  }

  private update(message: StoredMessage, body: MessageBody): StoredMessage {
    if (body.content !== undefined) message.content = body.content ?? '';
    if (body.embeds !== undefined)
      message.embeds = (body.embeds ?? []) as Record<string, unknown>[];
    if (body.components !== undefined)
      message.components = (body.components ?? []) as Record<string, unknown>[];
    if (body.allowed_mentions) message.allowedMentions = body.allowed_mentions;
    else delete message.allowedMentions;
    message.edited_timestamp = new Date().toISOString();
    return message;
  }

  private toApiMessage(message: StoredMessage): Record<string, unknown> {
    const {
      visibleTo: _visibleTo,
      thinking,
      allowedMentions: _mentions,
      pinged: _pinged,
      ...fields
    } = message;
    return {
      ...fields,
      // As Discord answers them: embeds typed, fields inline or not, every component numbered.
      embeds: fields.embeds.map(asEmbedResponse),
      components: withComponentIds(fields.components),
      // 19: a reply.
      type: fields.message_reference ? 19 : 0,
      author: this.botUser,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      pinned: false,
      application_id: this.applicationId,
      webhook_id: fields.webhook_id ?? this.applicationId,
      flags: fields.flags | (thinking ? MessageFlags.Loading : 0),
    };
  }

  private makeRole(id: string, name: string, position: number): APIRole {
    return {
      id,
      name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position,
      permissions: '0',
      managed: false,
      mentionable: false,
      flags: 0 as APIRole['flags'],
    };
  }

  private guildPayload(): Record<string, unknown> {
    return {
      id: this.guildId,
      name: this.options.guildName,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: snowflake(),
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...this.roles.values()],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 2,
      voice_states: [],
      members: [],
      channels: [
        {
          id: this.channelId,
          type: ChannelType.GuildText,
          name: this.options.channelName,
          position: 0,
          permission_overwrites: [],
          parent_id: null,
          topic: null,
          nsfw: false,
          rate_limit_per_user: 0,
          last_message_id: null,
        },
      ],
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  /** An interaction by id (the control plane follows its events). */
  interactionById(id: string): SimInteraction | undefined {
    return this.interactions.get(id);
  }
}
