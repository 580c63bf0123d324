import type { DiscordChannelRepository } from '@chatops/discord-channel';
import type { Repositories } from '@chatops/persistence';

/** Runs rounds of a worker until the outbox has nothing due (or `rounds` run out). */
export async function drainOutbox(
  repos: Pick<Repositories, 'outbox'>,
  worker: { runOnce(): Promise<number> },
  rounds = 50,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const backlog = (await repos.outbox.backlog()).find((b) => b.topic === 'alerts');
    if (!backlog?.pending) return;
    if ((await worker.runOnce()) === 0) await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A channel whose first `crashes` posts reach Discord and then fail, as when the process dies
 * after Discord created the message and before it was recorded.
 */
export function crashingAfterPost(
  channel: DiscordChannelRepository,
  crashes = 1,
): DiscordChannelRepository {
  let left = crashes;
  return {
    postMessage: async (...args) => {
      const posted = await channel.postMessage(...args);
      if (left-- > 0) throw new Error('socket hang up');
      return posted;
    },
    editMessage: (...args) => channel.editMessage(...args),
    startThread: (...args) => channel.startThread(...args),
  };
}
