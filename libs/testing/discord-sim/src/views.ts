import type { StoredMessage } from './interaction';
import type { DiscordSimulator } from './simulator';

/** What members see: messages numbered as they see them, channels by name, the feed. */
/** `#ops`, or `thread "name"` for a thread: where a message stands, as a member reads it. */
export function channelLabelOf(sim: DiscordSimulator, channelId: string): string {
  if (channelId === sim.channelId) return `#${sim.options.channelName}`;
  const extra = sim.extraChannels.get(channelId);
  if (extra) return `#${extra}`;
  const thread = sim.threads.find((t) => t.id === channelId);
  return thread ? `thread "${thread.name}"` : `channel ${channelId}`;
}

/**
 * Every message a member can see (the channel, its threads, their own ephemeral replies),
 * oldest first, numbered from 1 in the order they were posted: the numbers the console shows
 * and presses by. They stay the same across a restart of a sandbox that kept its state.
 */
export function numberedMessagesOf(
  sim: DiscordSimulator,
  viewer?: string,
): { number: number; where: string; message: StoredMessage }[] {
  const viewerId = viewer ? sim.user(viewer).id : undefined;
  let number = 0;
  const list: { number: number; where: string; message: StoredMessage }[] = [];
  for (const message of sim.messages.values()) {
    number++;
    if (message.visibleTo && message.visibleTo !== viewerId) continue;
    list.push({ number, where: sim.channelLabel(message.channel_id), message });
  }
  return list;
}

/** The number `numberedMessages` gives this message (0 when it is not there). */
export function messageNumberOf(sim: DiscordSimulator, messageId: string): number {
  let number = 0;
  for (const id of sim.messages.keys()) {
    number++;
    if (id === messageId) return number;
  }
  return 0;
}

/** The message with this number, if the viewer can see it. */
export function messageByNumberOf(
  sim: DiscordSimulator,
  number: number,
  viewer?: string,
): StoredMessage | undefined {
  return sim.numberedMessages(viewer).find((m) => m.number === number)?.message;
}

/** Messages in a channel (the ops channel by default), oldest first, as a member would see them. */
export function channelMessagesOf(
  sim: DiscordSimulator,
  channelId = sim.channelId,
  viewer?: string,
): StoredMessage[] {
  return [...sim.messages.values()].filter(
    (m) => m.channel_id === channelId && (!m.visibleTo || m.visibleTo === viewer),
  );
}

/** Resolves once the channel feed has more than `after` entries, or after `timeoutMs`. */
export function waitForChannelFeedOf(
  sim: DiscordSimulator,
  after: number,
  timeoutMs: number,
): Promise<DiscordSimulator['channelFeed']> {
  if (sim.channelFeed.length > after) return Promise.resolve(sim.channelFeed.slice(after));
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      sim.off('feed', done);
      resolve(sim.channelFeed.slice(after));
    };
    const timer = setTimeout(done, timeoutMs);
    sim.on('feed', done);
  });
}

/**
 * Whom a message notified, by name as members read them ("🔔 pinged @approver, @user1"), or
 * null: mentions that `allowed_mentions` or a missing permission suppressed are not counted.
 */
export function pingNoteOf(sim: DiscordSimulator, message: StoredMessage): string | null {
  const pinged = message.pinged;
  if (!pinged) return null;
  const names = [
    ...(pinged.everyone ? ['@everyone'] : []),
    ...pinged.roles.map((id) => `@${sim.roles.get(id)?.name ?? id}`),
    ...pinged.users.map(
      (id) => `@${[...sim.users.values()].find((u) => u.id === id)?.username ?? id}`,
    ),
  ];
  return names.length ? `🔔 pinged ${names.join(', ')}` : null;
}
