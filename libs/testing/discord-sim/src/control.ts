import { conformance, faultControl } from '@chatops/sim-kit';
import type { DiscordSimulator } from './simulator';
import type { InvokeCommand, SimUserRef } from './types';

/**
 * The stand-in's control surface for processes that are not this one (the console,
 * `npm run chat`, end-to-end tests): act as members, follow the channel and interactions, read
 * its state and conformance, switch faults.
 */
export async function simControl(
  sim: DiscordSimulator,
  method: string,
  url: URL,
  raw: Buffer,
): Promise<{ status: number; body: unknown }> {
  const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
  const path = url.pathname;
  const fault = faultControl(sim.faults, method, path, body);
  if (fault) return fault;
  try {
    // What this process's stand-ins exchanged against the published descriptions (the
    // sandbox's, read by the end-to-end tests that drive it).
    if (method === 'GET' && path === '/_sim/conformance')
      return { status: 200, body: conformance.report() };
    if (method === 'GET' && path === '/_sim/state') {
      return {
        status: 200,
        body: {
          botConnected: sim.botConnected,
          // Discord bans at 10,000 invalid requests in 10 minutes; global 429s so far.
          invalidRequests: sim.globalLimits.invalidRequests(),
          globalRateLimited: sim.globalLimits.limited,
          guildId: sim.guildId,
          channelId: sim.channelId,
          commands: sim.registeredCommands().map((c) => ({
            name: c.name,
            description: c.description,
            options: c.options ?? [],
          })),
        },
      };
    }
    if (method === 'POST' && path === '/_sim/interactions') {
      const request = body as unknown as InvokeCommand & { focused?: string };
      const interaction = request.focused
        ? sim.autocomplete(request as InvokeCommand & { focused: string })
        : sim.invoke(request);
      return { status: 201, body: interaction.summary() };
    }
    if (method === 'GET' && path === '/_sim/channel/feed') {
      const after = Number(url.searchParams.get('after') ?? 0);
      const waitMs = Math.min(Number(url.searchParams.get('waitMs') ?? 0), 30_000);
      const feed = (await sim.waitForChannelFeed(after, waitMs)).map((entry) => ({
        ...entry,
        where: sim.channelLabel(entry.message.channel_id),
        number: sim.messageNumber(entry.message.id),
        // Edits notify nobody: whom the post pinged is told with the post only.
        pings: entry.type === 'message' ? sim.pingNote(entry.message) : null,
      }));
      return { status: 200, body: { feed } };
    }
    if (method === 'GET' && path === '/_sim/messages') {
      const viewer = url.searchParams.get('viewer') ?? undefined;
      return { status: 200, body: { messages: sim.numberedMessages(viewer) } };
    }
    const modal = /^\/_sim\/interactions\/(\d+)\/modal$/.exec(path);
    if (method === 'POST' && modal) {
      const interaction = sim.submitModal(
        modal[1] ?? '',
        (body['values'] ?? {}) as Record<string, string>,
        body as unknown as SimUserRef,
      );
      return { status: 201, body: interaction.summary() };
    }
    const events = /^\/_sim\/interactions\/(\d+)\/events$/.exec(path);
    if (method === 'GET' && events) {
      const interaction = sim.interactions.get(events[1] ?? '');
      if (!interaction) return { status: 404, body: { message: 'no such interaction' } };
      const after = Number(url.searchParams.get('after') ?? 0);
      const waitMs = Math.min(Number(url.searchParams.get('waitMs') ?? 0), 30_000);
      const list = (await interaction.waitForEvents(after, waitMs)).map((event) =>
        event.message ? { ...event, number: sim.messageNumber(event.message.id) } : event,
      );
      return { status: 200, body: { interaction: interaction.summary(), events: list } };
    }
    const press = /^\/_sim\/messages\/(\d+)\/press$/.exec(path);
    if (method === 'POST' && press) {
      const interaction = sim.press(
        press[1] ?? '',
        String(body['label'] ?? ''),
        body as unknown as SimUserRef,
      );
      return { status: 201, body: interaction.summary() };
    }
    return { status: 404, body: { message: `no control route ${method} ${path}` } };
  } catch (error) {
    return { status: 400, body: { message: (error as Error).message } };
  }
}
