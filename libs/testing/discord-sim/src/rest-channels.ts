import { overwritesOf } from './rest-guild';
import { ChannelType, MessageFlags } from 'discord-api-types/v10';
import { DiscordHttpError, errors } from './errors';
import { type StoredMessage, type MessagePings } from './interaction';
import { validateMessage, type MessageBody } from './limits';
import { snowflake, snowflakeTime } from './snowflake';
import { asEmbedResponse, withComponentIds } from './message-shape';
import { pingsOf } from './pings';
import type { ChannelPermission } from './global-limits';
import type { DiscordSimulator } from './simulator';

/** How long Discord remembers an enforced nonce ("a few minutes"). */
const NONCE_WINDOW_MS = 5 * 60_000;

export function channel(sim: DiscordSimulator, channelId: string): unknown {
  const thread = sim.threads.find((t) => t.id === channelId);
  if (thread) {
    const messages = [...sim.messages.values()].filter((m) => m.channel_id === thread.id);
    return {
      id: thread.id,
      type: ChannelType.PublicThread,
      flags: 0,
      name: thread.name,
      parent_id: thread.parent_id,
      guild_id: sim.guildId,
      owner_id: sim.applicationId,
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
    channelId === sim.channelId ? sim.options.channelName : sim.extraChannels.get(channelId);
  if (name === undefined) throw errors.unknownChannel();
  return {
    id: channelId,
    type: ChannelType.GuildText,
    flags: 0,
    name,
    guild_id: sim.guildId,
    position: 0,
    permission_overwrites: overwritesOf(sim, channelId),
  };
}

export function postMessage(sim: DiscordSimulator, channelId: string, body: unknown): unknown {
  channel(sim, channelId);
  const data = (body ?? {}) as MessageBody & { nonce?: unknown; enforce_nonce?: unknown };
  validateMessage(data, { requireContent: true });
  // enforce_nonce: the same nonce again within a few minutes returns the earlier message.
  const nonce =
    data.enforce_nonce === true && typeof data.nonce === 'string' ? data.nonce : undefined;
  if (nonce) {
    const earlier = [...sim.messages.values()].find(
      (m) => m.nonce === nonce && Date.now() - Date.parse(m.timestamp) < NONCE_WINDOW_MS,
    );
    if (earlier) return toApiMessage(sim, earlier);
  }
  const reference = replyReference(sim, channelId, data);
  const pinged = pingsIn(sim, channelId, data);
  const message = store(sim, channelId, asPermitted(sim, channelId, data));
  message.pinged = pinged;
  if (reference) message.message_reference = reference;
  if (nonce) message.nonce = nonce;
  sim.feed('message', message);
  sim.emit('message', message);
  return toApiMessage(sim, message);
}

/**
 * A reply's `message_reference`: the message it answers must be in sim channel, unless
 * `fail_if_not_exists: false`, when a reply to a missing message is posted as a plain one.
 */
export function replyReference(
  sim: DiscordSimulator,
  channelId: string,
  data: { message_reference?: unknown },
): StoredMessage['message_reference'] | null {
  const asked = data.message_reference as
    | { message_id?: unknown; fail_if_not_exists?: unknown }
    | undefined;
  if (!asked) return null;
  const target = typeof asked.message_id === 'string' ? sim.messages.get(asked.message_id) : null;
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
  return { type: 0, message_id: target.id, channel_id: channelId, guild_id: sim.guildId };
}

export function channelMessage(
  sim: DiscordSimulator,
  channelId: string,
  messageId: string,
): StoredMessage {
  const message = sim.messages.get(messageId);
  if (!message || message.channel_id !== channelId) throw errors.unknownMessage();
  return message;
}

export function editChannelMessage(
  sim: DiscordSimulator,
  channelId: string,
  messageId: string,
  body: unknown,
): unknown {
  const message = channelMessage(sim, channelId, messageId);
  validateMessage((body ?? {}) as MessageBody, { requireContent: false });
  const updated = update(sim, message, asPermitted(sim, channelId, (body ?? {}) as MessageBody));
  sim.feed('edit', updated);
  sim.emit('message-update', updated);
  return toApiMessage(sim, updated);
}

/**
 * A thread of its own, or one started from a message: as on Discord, that thread has the
 * message's id, and a message starts at most one.
 */
export function createThread(
  sim: DiscordSimulator,
  channelId: string,
  body: unknown,
  fromMessageId?: string,
): unknown {
  channel(sim, channelId);
  if (fromMessageId && sim.threads.some((t) => t.id === fromMessageId))
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
  sim.threads.push(thread);
  return channel(sim, thread.id);
}

export function store(
  sim: DiscordSimulator,
  channelId: string,
  body: MessageBody,
  visibleTo?: string,
): StoredMessage {
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
  sim.messages.set(message.id, message);
  return message;
}

export function update(
  sim: DiscordSimulator,
  message: StoredMessage,
  body: MessageBody,
): StoredMessage {
  if (body.content !== undefined) message.content = body.content ?? '';
  if (body.embeds !== undefined) message.embeds = (body.embeds ?? []) as Record<string, unknown>[];
  if (body.components !== undefined)
    message.components = (body.components ?? []) as Record<string, unknown>[];
  if (body.allowed_mentions) message.allowedMentions = body.allowed_mentions;
  else delete message.allowedMentions;
  message.edited_timestamp = new Date().toISOString();
  return message;
}

export function toApiMessage(
  sim: DiscordSimulator,
  message: StoredMessage,
): Record<string, unknown> {
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
    author: sim.botUser,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    pinned: false,
    application_id: sim.applicationId,
    webhook_id: fields.webhook_id ?? sim.applicationId,
    flags: fields.flags | (thinking ? MessageFlags.Loading : 0),
  };
}

/** Withheld in the channel itself, or (for a thread) in the channel it belongs to. */
export function lacks(
  sim: DiscordSimulator,
  channelId: string,
  permission: ChannelPermission,
): boolean {
  const parent = sim.threads.find((t) => t.id === channelId)?.parent_id;
  return [channelId, parent].some((id) => id && sim.withheld.get(id)?.has(permission));
}

/** What a post may do in a channel without some permissions: embeds dropped, fewer pings. */
export function asPermitted<T extends MessageBody>(
  sim: DiscordSimulator,
  channelId: string,
  data: T,
): T {
  return lacks(sim, channelId, 'EmbedLinks') && data.embeds ? { ...data, embeds: [] } : data;
}

export function pingsIn(sim: DiscordSimulator, channelId: string, data: MessageBody): MessagePings {
  const pinged = pingsOf(data);
  if (!lacks(sim, channelId, 'MentionEveryone')) return pinged;
  return {
    roles: pinged.roles.filter((id) => sim.roles.get(id)?.mentionable === true),
    users: pinged.users,
    everyone: false,
  };
}
