import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promtoolCheckMetrics } from '@chatops/testing';
import { createBotMetrics } from '../src/bot-metrics';
import { GatewayState } from '../src/gateway-state';
import { createHealthServer } from '../src/health-server';

describe('bot health server', () => {
  let server: Server;
  let base: string;
  let state: GatewayState;
  let ping = -1;
  let metrics: ReturnType<typeof createBotMetrics>;

  beforeEach(async () => {
    state = new GatewayState('connecting');
    ping = -1;
    metrics = createBotMetrics(state, () => ping);
    server = createHealthServer(state, metrics.registry).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is not ready until the gateway session is READY, and says why', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'not_ready',
      gateway: { status: 'connecting' },
    });
    state.set('ready');
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', gateway: { status: 'ready' } });
    state.set('disconnected', 'close code 4000');
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({
      status: 'not_ready',
      gateway: { status: 'disconnected', reason: 'close code 4000' },
    });
  });

  it('stays live whatever the gateway does', async () => {
    state.set('disconnected');
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it('answers unknown paths and methods with JSON errors', async () => {
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /nope',
    });
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(405);
  });

  it('exports gateway and command metrics that pass promtool check metrics', async () => {
    state.set('ready');
    ping = 87;
    metrics.observeCommand('ping', 'ok', 0.12);
    metrics.observeCommand('whatever-a-client-sent', 'unknown', 0.01);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('discord_gateway_ready{app="bot"} 1');
    expect(text).toContain('discord_gateway_ping_seconds{app="bot"} 0.087');
    expect(text).toContain('bot_commands_total{command="ping",outcome="ok",app="bot"} 1');
    expect(text).toContain('bot_commands_total{command="(unknown)",outcome="unknown",app="bot"} 1');
    expect(text).not.toContain('whatever-a-client-sent');
    const output = promtoolCheckMetrics(text);
    expect(output).toBe('');
  });
});
