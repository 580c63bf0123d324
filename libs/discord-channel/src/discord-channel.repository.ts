import { REST } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import type { RenderedMessage } from '@chatops/discord-ui';

/** Channel messages the API owns (deployment progress, alerts), sent with the bot token over REST. */
export interface DiscordChannelRepository {
  postMessage(channelId: string, message: Partial<RenderedMessage>): Promise<{ id: string }>;
  editMessage(
    channelId: string,
    messageId: string,
    message: Partial<RenderedMessage>,
  ): Promise<void>;
  /** A public thread on a message. */
  startThread(channelId: string, messageId: string, name: string): Promise<{ id: string }>;
}

export interface RestDiscordChannelOptions {
  token: string;
  /** Discord's REST base (https://discord.com/api) or the simulator's. */
  apiUrl: string;
  timeoutMs?: number;
}

/**
 * Over @discordjs/rest, which queues per route, waits out 429 `retry_after` and retries 5xx, so
 * a burst of progress edits slows down instead of failing.
 */
export class RestDiscordChannelRepository implements DiscordChannelRepository {
  private readonly rest: REST;

  constructor(options: RestDiscordChannelOptions) {
    this.rest = new REST({
      api: options.apiUrl,
      version: '10',
      timeout: options.timeoutMs ?? 15_000,
      retries: 3,
    }).setToken(options.token);
  }

  async postMessage(channelId: string, message: Partial<RenderedMessage>): Promise<{ id: string }> {
    const created = (await this.rest.post(Routes.channelMessages(channelId), {
      body: { ...message, allowed_mentions: { parse: [] } },
    })) as { id: string };
    return { id: created.id };
  }

  async editMessage(
    channelId: string,
    messageId: string,
    message: Partial<RenderedMessage>,
  ): Promise<void> {
    await this.rest.patch(Routes.channelMessage(channelId, messageId), { body: message });
  }

  async startThread(channelId: string, messageId: string, name: string): Promise<{ id: string }> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), {
      body: { name: name.slice(0, 100), auto_archive_duration: 1440 },
    })) as { id: string };
    return { id: thread.id };
  }
}
