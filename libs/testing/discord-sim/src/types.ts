import type { BucketConfig } from './rate-limits';
import type { APIApplicationCommand, APIRole, APIUser } from 'discord-api-types/v10';
import type { StoredMessage } from './interaction';

/** The stand-in's options, saved state and how tests name members. */
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
