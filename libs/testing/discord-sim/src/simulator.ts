import {
  DEFAULT_RATE_LIMITS,
  type SimulatorOptions,
  type DiscordSimState,
  type SimUserRef,
  type InvokeCommand,
} from './types';
import { prepareDiscordConformance, FaultPlan, SimHttpServer } from '@chatops/sim-kit';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  GatewayCloseCodes,
  type UserFlags,
  type APIApplicationCommand,
  type APIRole,
  type APIUser,
} from 'discord-api-types/v10';
import { SimulatedGateway } from './gateway';
import { SimInteraction, StoredMessage } from './interaction';
import { RateLimiter } from './rate-limits';
import {
  channelLabelOf,
  channelMessagesOf,
  messageByNumberOf,
  messageNumberOf,
  pingNoteOf,
  numberedMessagesOf,
  waitForChannelFeedOf,
} from './views';
import { restoreState, snapshotState } from './saved-state';
import { snowflake } from './snowflake';
import { CHANNEL_PERMISSIONS, GlobalLimits, type ChannelPermission } from './global-limits';
import { lacks } from './rest-channels';
import { gatewayOf, makeRole } from './guild';
import { EVERYONE_PERMISSIONS } from './rest-guild';
import { buildRoutes, handle, type Route } from './http-handler';
import { autocompleteMember, invokeMember, pressMember, submitModalMember } from './members';

const ALL_PERMISSIONS = '2251799813685247';

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
  // Internal: the resource modules (rest-*.ts, members.ts, views.ts, guild.ts …) read and
  // change these; tests use the methods.
  readonly commands = new Map<string, APIApplicationCommand[]>();
  readonly roles = new Map<string, APIRole>();
  readonly users = new Map<string, APIUser>();
  readonly threads: { id: string; name: string; parent_id: string }[] = [];
  readonly extraChannels = new Map<string, string>();
  readonly http: SimHttpServer;
  readonly gateway: SimulatedGateway;
  readonly routes: Route[];
  readonly options: Required<Omit<SimulatorOptions, 'log' | 'rateLimits' | 'state' | 'onChange'>> &
    Pick<SimulatorOptions, 'log' | 'onChange'>;
  readonly incomingWebhooks = new Map<string, { id: string; token: string; name: string }>();
  authRefusals = 0;
  /** Channel permissions the bot was not given, by channel (threads take their parent's). */
  readonly withheld = new Map<string, Set<ChannelPermission>>();
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
    this.roles.set(this.guildId, {
      ...makeRole(this, this.guildId, '@everyone', 0),
      permissions: String(EVERYONE_PERMISSIONS),
    });
    if (state) this.restore(state);
    // A state saved before roles carried permissions: @everyone gets the defaults again.
    const everyone = this.roles.get(this.guildId);
    if (everyone?.permissions === '0') everyone.permissions = String(EVERYONE_PERMISSIONS);
    this.gateway = gatewayOf(this);
    this.routes = buildRoutes(this);
    this.http = new SimHttpServer('Discord stand-in', (req, res) => void handle(this, req, res));
    this.http.server.on('upgrade', (req, socket, head) => {
      if ((req.url ?? '').startsWith('/gateway')) this.gateway.handleUpgrade(req, socket, head);
      else socket.destroy();
    });
  }

  /** The state as JSON, for `state` on a later start (the sandbox keeps it across restarts). */
  snapshot(): DiscordSimState {
    return snapshotState(this);
  }

  private restore(state: DiscordSimState): void {
    return restoreState(this, state);
  }

  /** @internal */
  changed(): void {
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
    const role = makeRole(this, snowflake(), name, this.roles.size);
    this.roles.set(role.id, role);
    this.gateway.dispatch('GUILD_ROLE_CREATE', { guild_id: this.guildId, role });
    return role;
  }

  /** A member runs a slash command. Throws for commands the bot did not register, unless allowed. */
  invoke(request: InvokeCommand): SimInteraction {
    return invokeMember(this, request);
  }

  /** A member presses a button on a message. */
  press(messageId: string, label: string, who: SimUserRef): SimInteraction {
    return pressMember(this, messageId, label, who);
  }

  /** `#ops`, or `thread "name"` for a thread: where a message stands, as a member reads it. */
  channelLabel(channelId: string): string {
    return channelLabelOf(this, channelId);
  }

  /**
   * Every message a member can see (the channel, its threads, their own ephemeral replies),
   * oldest first, numbered from 1 in the order they were posted: the numbers the console shows
   * and presses by. They stay the same across a restart of a sandbox that kept its state.
   */
  numberedMessages(viewer?: string): { number: number; where: string; message: StoredMessage }[] {
    return numberedMessagesOf(this, viewer);
  }

  /** Whom a message notified, by name ("🔔 pinged @approver"), or null. */
  pingNote(message: StoredMessage): string | null {
    return pingNoteOf(this, message);
  }

  /** The number `numberedMessages` gives this message (0 when it is not there). */
  messageNumber(messageId: string): number {
    return messageNumberOf(this, messageId);
  }

  /** The message with this number, if the viewer can see it. */
  messageByNumber(number: number, viewer?: string): StoredMessage | undefined {
    return messageByNumberOf(this, number, viewer);
  }

  /** Messages in a channel (the ops channel by default), oldest first, as a member would see them. */
  channelMessages(channelId = this.channelId, viewer?: string): StoredMessage[] {
    return channelMessagesOf(this, channelId, viewer);
  }

  /** Resolves once the channel feed has more than `after` entries, or after `timeoutMs`. */
  waitForChannelFeed(after: number, timeoutMs: number): Promise<DiscordSimulator['channelFeed']> {
    return waitForChannelFeedOf(this, after, timeoutMs);
  }

  /** A member types in an autocomplete option; the bot's choices arrive as an `autocomplete` event. */
  autocomplete(request: InvokeCommand & { focused: string }): SimInteraction {
    return autocompleteMember(this, request);
  }

  /** A member submits the modal the bot opened in answer to `interactionId`. */
  submitModal(
    interactionId: string,
    values: Record<string, string>,
    who: SimUserRef,
  ): SimInteraction {
    return submitModalMember(this, interactionId, values, who);
  }

  // ---- internals ----

  /** @internal */
  feed(type: 'message' | 'edit', message: StoredMessage): void {
    this.channelFeed.push({
      seq: this.channelFeed.length + 1,
      type,
      message: structuredClone(message),
    });
    this.emit('feed');
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
      if (lacks(this, channelId, permission)) bits &= ~CHANNEL_PERMISSIONS[permission];
    return bits.toString();
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
}
