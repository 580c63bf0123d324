import {
  RestDiscordChannelRepository,
  type DiscordChannelRepository,
} from '@chatops/discord-channel';
import type { ApiConfig } from '../config';

/** The API's Discord client (null without DISCORD_TOKEN): build it once per process and share it. */
export function discordChannelFrom(config: ApiConfig): DiscordChannelRepository | null {
  if (!config.DISCORD_TOKEN) return null;
  return new RestDiscordChannelRepository({
    token: config.DISCORD_TOKEN,
    apiUrl: config.DISCORD_API_URL,
    requestsPerSecond: config.DISCORD_REQUESTS_PER_SECOND,
  });
}
