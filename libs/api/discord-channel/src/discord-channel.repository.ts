import { DiscordAPIError, HTTPError, type REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { createDiscordRest, type DiscordRestPolicy } from '@chatops/discord-rest';
import type { RenderedMessage } from '@chatops/discord-ui';

/**
 * Whom the API's messages may ping: nobody. Sent with every post and every edit (an edit without
 * it lets Discord parse mentions from the new content).
 */
export const NO_PINGS = { parse: [] } as const;

/** Channel messages the API owns (deployment progress, alerts), sent with the bot token over REST. */
export interface PostOptions {
  /**
   * Discord returns the earlier message instead of creating another when the same author posts
   * the same nonce again within a few minutes (`enforce_nonce`): a post retried after a crash
   * or a lost answer does not make a duplicate. At most 25 characters.
   */
  nonce?: string;
  /** The roles this message may ping (its content mentions them); none by default. */
  mentionRoles?: readonly string[];
  /** The members this message may ping (its content mentions them); none by default. */
  mentionUsers?: readonly string[];
  /** Posted as a reply to this message of the channel (pinging its author never). */
  replyTo?: string;
}

/** Whom a message may ping: exactly the roles and members given, nobody else. */
export function allowedMentions(roles: readonly string[] = [], users: readonly string[] = []) {
  if (!roles.length && !users.length) return NO_PINGS;
  return {
    parse: [],
    ...(roles.length ? { roles: [...roles] } : {}),
    ...(users.length ? { users: [...users] } : {}),
  };
}

export interface DiscordChannelRepository {
  postMessage(
    channelId: string,
    message: Partial<RenderedMessage>,
    options?: PostOptions,
  ): Promise<{ id: string }>;
  editMessage(
    channelId: string,
    messageId: string,
    message: Partial<RenderedMessage>,
    options?: Pick<PostOptions, 'mentionRoles'>,
  ): Promise<void>;
  /**
   * A public thread on a message. Its id is the message's (Discord's rule); starting it again
   * answers that same thread.
   */
  startThread(channelId: string, messageId: string, name: string): Promise<{ id: string }>;
}

export interface RestDiscordChannelOptions extends Partial<DiscordRestPolicy> {
  token: string;
  /** Discord's REST base (https://discord.com/api) or the simulator's. */
  apiUrl: string;
}

/**
 * Over @discordjs/rest, which queues per route and waits out 429 `retry_after`, so a burst of
 * progress edits slows down instead of failing; 5xx and network failures are retried on backoff
 * (`@chatops/discord-rest`). Build one per process and share it: every sender then keeps within
 * the process's share of the token's global budget.
 */
export class RestDiscordChannelRepository implements DiscordChannelRepository {
  private rest: REST;

  constructor(private readonly options: RestDiscordChannelOptions) {
    this.rest = this.client();
  }

  private client(): REST {
    const { token, ...policy } = this.options;
    return createDiscordRest({ requestsPerSecond: 15, ...policy }, token);
  }

  /**
   * One call; after a 401 the next call gets a fresh client (@discordjs/rest drops its token on a
   * 401, and every later request would fail without reaching Discord). The caller retries the
   * 401 itself, with backoff: an invalid token must not become a tight loop of 401s.
   */
  private async call<T>(send: (rest: REST) => Promise<T>): Promise<T> {
    try {
      return await send(this.rest);
    } catch (error) {
      if (isUnauthorized(error)) this.rest = this.client();
      throw error;
    }
  }

  async postMessage(
    channelId: string,
    message: Partial<RenderedMessage>,
    options: PostOptions = {},
  ): Promise<{ id: string }> {
    const nonce = options.nonce ? { nonce: options.nonce.slice(0, 25), enforce_nonce: true } : {};
    // A reply to a message that was deleted is posted as a plain message rather than refused.
    const reply = options.replyTo
      ? { message_reference: { message_id: options.replyTo, fail_if_not_exists: false } }
      : {};
    const created = (await this.call((rest) =>
      rest.post(Routes.channelMessages(channelId), {
        body: {
          ...message,
          ...nonce,
          ...reply,
          allowed_mentions: {
            ...allowedMentions(options.mentionRoles, options.mentionUsers),
            ...(options.replyTo ? { replied_user: false } : {}),
          },
        },
      }),
    )) as { id: string };
    return { id: created.id };
  }

  async editMessage(
    channelId: string,
    messageId: string,
    message: Partial<RenderedMessage>,
    options: Pick<PostOptions, 'mentionRoles'> = {},
  ): Promise<void> {
    await this.call((rest) =>
      rest.patch(Routes.channelMessage(channelId, messageId), {
        body: { ...message, allowed_mentions: allowedMentions(options.mentionRoles) },
      }),
    );
  }

  async startThread(channelId: string, messageId: string, name: string): Promise<{ id: string }> {
    try {
      const thread = (await this.call((rest) =>
        rest.post(Routes.threads(channelId, messageId), {
          body: { name: name.slice(0, 100), auto_archive_duration: 1440 },
        }),
      )) as { id: string };
      return { id: thread.id };
    } catch (error) {
      // A retry after a lost answer, or another replica: the message's thread exists already.
      if (error instanceof DiscordAPIError && error.code === THREAD_ALREADY_CREATED)
        return { id: messageId };
      throw error;
    }
  }
}

/** A 401, or what @discordjs/rest throws once a 401 has made it drop its token. */
function isUnauthorized(error: unknown): boolean {
  if (error instanceof DiscordAPIError || error instanceof HTTPError) return error.status === 401;
  return error instanceof Error && /Expected token to be set/.test(error.message);
}

/**
 * What a failed Discord call means for whoever retries it: `gone` (the message or channel was
 * deleted: post anew), `transient` (5xx, a network error or a timeout, after the transport's
 * retries on backoff; or a 401, after which the repository has a fresh client: try again later, with
 * backoff) or `permanent` (anything else 4xx: retrying will not help).
 * 429s never get here: the REST client waits out `retry_after` and sends again.
 */
export function classifyDiscordFailure(error: unknown): {
  kind: 'gone' | 'transient' | 'permanent';
  message: string;
} {
  if (isUnauthorized(error))
    return {
      kind: 'transient',
      message: `Discord 401: the bot token was refused (${(error as Error).message})`,
    };
  if (error instanceof DiscordAPIError) {
    const message = `Discord ${error.status} (${error.code}): ${error.message}`;
    if (error.code === UNKNOWN_MESSAGE) return { kind: 'gone', message };
    if (error.status === 429 || error.status >= 500) return { kind: 'transient', message };
    return { kind: 'permanent', message };
  }
  if (error instanceof HTTPError) {
    const message = `Discord ${error.status}: ${error.message}`;
    return {
      kind: error.status >= 500 || error.status === 429 ? 'transient' : 'permanent',
      message,
    };
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return {
    kind: 'transient',
    message: `Discord unreachable: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
  };
}

/** Discord's JSON error code for a message that no longer exists. */
const UNKNOWN_MESSAGE = 10008;
/** "A thread has already been created for this message." */
const THREAD_ALREADY_CREATED = 160004;
