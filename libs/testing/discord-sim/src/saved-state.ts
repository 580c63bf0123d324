import type { DiscordSimulator } from './simulator';
import { SNAPSHOT_MESSAGES, type DiscordSimState } from './types';

/** The stand-in's state as JSON, and back (the sandbox keeps it across restarts). */
/** The state as JSON, for `state` on a later start (the sandbox keeps it across restarts). */
export function snapshotState(sim: DiscordSimulator): DiscordSimState {
  return structuredClone({
    version: 1,
    applicationId: sim.applicationId,
    guildId: sim.guildId,
    channelId: sim.channelId,
    users: Object.fromEntries(sim.users),
    roles: [...sim.roles.values()],
    commands: Object.fromEntries(sim.commands),
    threads: sim.threads,
    channels: [...sim.extraChannels].map(([id, name]) => ({ id, name })),
    messages: [...sim.messages.values()].slice(-SNAPSHOT_MESSAGES),
    incomingWebhooks: [...sim.incomingWebhooks.values()],
  });
}

export function restoreState(sim: DiscordSimulator, state: DiscordSimState): void {
  const copy = structuredClone(state);
  for (const [handle, user] of Object.entries(copy.users)) sim.users.set(handle, user);
  for (const role of copy.roles) sim.roles.set(role.id, role);
  for (const [scope, commands] of Object.entries(copy.commands)) sim.commands.set(scope, commands);
  sim.threads.push(...copy.threads);
  for (const channel of copy.channels ?? []) sim.extraChannels.set(channel.id, channel.name);
  for (const message of copy.messages) {
    // A reply that was still "thinking" belonged to an interaction that died with the restart.
    delete message.thinking;
    sim.messages.set(message.id, message);
  }
  for (const webhook of copy.incomingWebhooks) sim.incomingWebhooks.set(webhook.id, webhook);
}
