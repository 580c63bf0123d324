import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { freePort } from '@chatops/testing';
import { ApiClient, ApiError } from '../src/api-client';

/** A stand-in API that records what it receives and answers as told. */
function fakeApi(
  answer: (
    req: IncomingMessage,
    body: string,
  ) => { status: number; body?: unknown; delayMs?: number },
) {
  const received: {
    method?: string;
    url?: string;
    headers: IncomingMessage['headers'];
    body: string;
  }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      const reply = answer(req, body);
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      }, reply.delayMs ?? 0);
    });
  });
  return {
    received,
    start: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`),
        ),
      ),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const TOKEN = 'token-'.padEnd(40, 'k');

describe('ApiClient', () => {
  it('pings with the service token and a request id', async () => {
    const api = fakeApi(() => ({ status: 200, body: { pong: true } }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    const { roundTripMs } = await client.ping();
    await api.stop();
    expect(roundTripMs).toBeGreaterThan(0);
    expect(api.received[0]).toMatchObject({
      method: 'GET',
      url: '/v1/ping',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'x-request-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      },
    });
  });

  it('posts audit events as JSON', async () => {
    const api = fakeApi(() => ({ status: 201, body: { id: 1 } }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    const event = { actor: { id: '1', name: 'a' }, action: 'deploy', outcome: 'denied' as const };
    await expect(client.recordAudit(event)).resolves.toEqual({ id: 1 });
    await api.stop();
    expect(JSON.parse(api.received[0]!.body)).toEqual(event);
    expect(api.received[0]!.headers['content-type']).toBe('application/json');
  });

  it('says on whose behalf a call is made, the name percent-encoded, and nothing without one', async () => {
    const api = fakeApi(() => ({ status: 200, body: { events: [] } }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    await client.onBehalfOf({ id: '42', name: 'Zoë\n<@&1>' }).listAudit({ limit: 1 });
    await client.listAudit({ limit: 1 });
    await api.stop();
    expect(api.received[0]!.headers['x-chatops-actor-id']).toBe('42');
    expect(decodeURIComponent(String(api.received[0]!.headers['x-chatops-actor-name']))).toBe(
      'Zoë\n<@&1>',
    );
    expect(api.received[1]!.headers['x-chatops-actor-id']).toBeUndefined();
  });

  it('lists audit events with the query', async () => {
    const api = fakeApi(() => ({ status: 200, body: { events: [{ id: 7 }] } }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    await expect(
      client.listAudit({ limit: 5, environment: 'prod', actorId: '42' }),
    ).resolves.toEqual([{ id: 7 }]);
    await api.stop();
    expect(api.received[0]).toMatchObject({
      method: 'GET',
      url: '/v1/audit?limit=5&environment=prod&actorId=42',
    });
  });

  it('asks for the delivery metrics with the filter given, and none when none is', async () => {
    const api = fakeApi(() => ({ status: 200, body: { days: 30 } }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    await client.deliveryMetrics({ service: 'api', environment: 'prod', days: 7 });
    await client.deliveryMetrics();
    await api.stop();
    expect(api.received.map((r) => r.url)).toEqual([
      '/v1/delivery/metrics?service=api&environment=prod&days=7',
      '/v1/delivery/metrics',
    ]);
  });

  it("surfaces the API's message and problems on an error status", async () => {
    const api = fakeApi(() => ({
      status: 400,
      body: { message: 'Invalid request body', problems: ['action: bad'] },
    }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    const error = await client
      .recordAudit({ actor: { id: '1', name: 'a' }, action: 'x', outcome: 'failed' })
      .catch((e) => e);
    await api.stop();
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      message: 'Invalid request body',
      problems: ['action: bad'],
    });
  });

  it("keeps the refusal's reason when the API names a known one, and only then", async () => {
    const answers = [{ reason: 'denied', details: { permission: 'deploy' } }, { reason: 'teapot' }];
    const api = fakeApi(() => ({
      status: 403,
      body: { message: 'you need the `deploy` permission', ...answers.shift() },
    }));
    const client = new ApiClient({ baseUrl: await api.start(), serviceToken: TOKEN });
    const denied = await client.ping().catch((e: unknown) => e);
    const unknown = await client.ping().catch((e: unknown) => e);
    await api.stop();
    expect(denied).toMatchObject({
      status: 403,
      reason: 'denied',
      details: { permission: 'deploy' },
    });
    expect(unknown).toMatchObject({ status: 403, reason: null });
  });

  it('reports an unreachable API with status 0 and the address', async () => {
    const port = await freePort();
    const client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, serviceToken: TOKEN });
    const error = await client.ping().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(0);
    expect((error as ApiError).message).toBe(
      `API unreachable at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
  });

  it('gives up after its timeout', async () => {
    const api = fakeApi(() => ({ status: 200, body: {}, delayMs: 500 }));
    const client = new ApiClient({
      baseUrl: await api.start(),
      serviceToken: TOKEN,
      timeoutMs: 50,
    });
    await expect(client.ping()).rejects.toMatchObject({
      status: 0,
      message: expect.stringMatching(/no answer within 50 ms$/),
    });
    await api.stop();
  });
});
