/**
 * Discord's limits across every route of one bot token: 50 requests a second (interaction
 * callbacks and webhooks with a token excepted), and the invalid requests (401, 403, and 429s
 * that are not of a shared bucket) for which Cloudflare bans an IP at 10,000 in 10 minutes.
 */
export class GlobalLimits {
  static readonly INVALID_WINDOW_MS = 10 * 60_000;
  private readonly recent: number[] = [];
  private readonly invalid: number[] = [];
  /** Global 429s answered so far. */
  limited = 0;

  constructor(private readonly perSecond: number) {}

  /** Milliseconds until the request may be made (a global 429), or null: it is admitted. */
  admit(now = Date.now()): number | null {
    while (this.recent.length && now - (this.recent[0] ?? now) >= 1000) this.recent.shift();
    if (this.perSecond > 0 && this.recent.length >= this.perSecond) {
      this.limited++;
      return Math.max(1, 1000 - (now - (this.recent[0] ?? now)));
    }
    this.recent.push(now);
    return null;
  }

  /** Counts an answer toward the invalid-request limit when Discord would. */
  answered(status: number, scope: string | undefined, now = Date.now()): void {
    if (status === 401 || status === 403 || (status === 429 && scope !== 'shared'))
      this.invalid.push(now);
  }

  /** Invalid requests in the last 10 minutes. */
  invalidRequests(now = Date.now()): number {
    while (this.invalid.length && now - (this.invalid[0] ?? now) >= GlobalLimits.INVALID_WINDOW_MS)
      this.invalid.shift();
    return this.invalid.length;
  }
}

/** The channel permissions of the bot that tests may withhold, with their bits. */
export const CHANNEL_PERMISSIONS = {
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  MentionEveryone: 1n << 17n,
  CreatePublicThreads: 1n << 35n,
} as const;

export type ChannelPermission = keyof typeof CHANNEL_PERMISSIONS;
