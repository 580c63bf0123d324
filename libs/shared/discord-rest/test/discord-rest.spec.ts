import { HTTPError } from '@discordjs/rest';
import { Routes } from 'discord-api-types/v10';
import { DiscordSimulator } from '@chatops/discord-sim';
import { backoffDelay, createDiscordRest, discordRestOptions } from '../src/discord-rest';

const TOKEN = `sim.${'x'.repeat(60)}`;
let sim: DiscordSimulator;

beforeEach(async () => {
  sim = await new DiscordSimulator({ botToken: TOKEN }).start();
});
afterEach(() => sim.stop());

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] ?? t));

describe('the one Discord REST client of a process', () => {
  it('sends a 5xx again after a growing, jittered delay', async () => {
    const rest = createDiscordRest(
      { apiUrl: sim.restUrl, requestsPerSecond: 50, firstRetryMs: 200 },
      TOKEN,
    );
    sim.failNext(2);
    await rest.post(Routes.channelMessages(sim.channelId), { body: { content: 'after 2 × 502' } });
    expect(sim.channelMessages().map((m) => m.content)).toEqual(['after 2 × 502']);
    const [first, second] = gaps(sim.requestTimes);
    // 200 ms then 400 ms, each ±20 % (the old client sent all four at once).
    expect(first).toBeGreaterThanOrEqual(150);
    expect(second).toBeGreaterThanOrEqual(300);
    expect(second).toBeGreaterThan(first ?? 0);
  });

  it('gives up after its retries with the 5xx, having sent the request retries + 1 times', async () => {
    const rest = createDiscordRest(
      { apiUrl: sim.restUrl, requestsPerSecond: 50, retries: 2, firstRetryMs: 50 },
      TOKEN,
    );
    sim.failNext(10);
    const error = await rest
      .post(Routes.channelMessages(sim.channelId), { body: { content: 'x' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HTTPError);
    expect((error as HTTPError).status).toBe(502);
    expect(sim.requests).toHaveLength(3);
    expect(sim.channelMessages()).toEqual([]);
  });

  it('sends again after a dropped connection, once Discord is back', async () => {
    const rest = createDiscordRest(
      { apiUrl: sim.restUrl, requestsPerSecond: 50, firstRetryMs: 300 },
      TOKEN,
    );
    sim.goAway(500);
    await rest.post(Routes.channelMessages(sim.channelId), { body: { content: 'back' } });
    expect(sim.channelMessages().map((m) => m.content)).toEqual(['back']);
  });

  it('keeps within its share of the global budget', async () => {
    const send = async (requestsPerSecond: number) => {
      sim.requestTimes.length = 0;
      const rest = createDiscordRest({ apiUrl: sim.restUrl, requestsPerSecond }, TOKEN);
      const started = Date.now();
      await Promise.all(Array.from({ length: 12 }, () => rest.get(Routes.channel(sim.channelId))));
      const times = [...sim.requestTimes];
      const busiestSecond = Math.max(
        ...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length),
      );
      return { busiestSecond, tookMs: Date.now() - started };
    };
    const share = await send(4);
    expect(share.busiestSecond).toBeLessThanOrEqual(4);
    expect(share.tookMs).toBeGreaterThanOrEqual(2000);
    // The same burst with the whole budget goes out at once.
    const whole = await send(50);
    expect(whole.busiestSecond).toBe(12);
  });

  it('refuses a share beyond what Discord allows a token', () => {
    expect(() => discordRestOptions({ apiUrl: sim.restUrl, requestsPerSecond: 51 })).toThrow(
      /1 to 50/,
    );
    expect(() => discordRestOptions({ apiUrl: sim.restUrl, requestsPerSecond: 0 })).toThrow();
  });

  it('backs off by doubling, capped, within ±20 %', () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const expected = Math.min(8000, 500 * 2 ** attempt);
      const delay = backoffDelay(attempt, 500, 8000);
      expect(delay).toBeGreaterThanOrEqual(expected * 0.8);
      expect(delay).toBeLessThanOrEqual(expected * 1.2);
    }
  });
});
