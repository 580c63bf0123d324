import { AwsFleetRepository, type InvocationResult } from '@chatops/aws-fleet';
import { AwsSimulator, type SimHost } from '@chatops/aws-sim';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A rolling redeploy of api behind the load balancer, end to end: the SSM stand-in runs the real
 * deploy/host/bin/redeploy.sh on each of three hosts, one at a time (MaxConcurrency 1, MaxErrors 0),
 * whose AWS calls go through the real AWS CLI to the stand-in's Auto Scaling group and target
 * group; each host's api container is an HTTP server here (restarted by a docker stand-in), and a
 * stand-in load balancer sends a steady stream of requests to the target group's healthy targets.
 */

const ROOT = resolve(__dirname, '../..');
const REDEPLOY = join(ROOT, 'deploy/host/bin/redeploy.sh');
const FAKE_BIN = join(__dirname, 'fixtures/rolling-host');
/** How long an api container takes to come back after `docker compose up`. */
const RESTART_MS = 400;

/** A host's api container: answers requests unless it is restarting, and records any it gets then. */
class ApiContainer {
  private restartingUntil = 0;
  /** Requests that reached it while it was restarting: the load balancer's failures. */
  hitsWhileRestarting = 0;
  served = 0;
  /** Images whose health check fails on this host. */
  failing: RegExp | null = null;
  readonly server: Server;

  constructor(
    readonly id: string,
    public image: string,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  get restarting(): boolean {
    return Date.now() < this.restartingUntil;
  }

  /** What its health check (and the target group's) says. */
  get ready(): boolean {
    return !this.restarting && !(this.failing?.test(this.image) ?? false);
  }

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname === '/_restart') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.image = new URLSearchParams(body).get('image') ?? '';
        this.restartingUntil = Date.now() + RESTART_MS;
        res.end('restarting');
      });
      return;
    }
    if (url.pathname === '/_health-status') {
      res.end(this.restarting ? 'starting' : this.ready ? 'healthy' : 'unhealthy');
      return;
    }
    if (this.restarting) {
      this.hitsWhileRestarting += 1;
      res.writeHead(502).end('restarting');
      return;
    }
    this.served += 1;
    res.end(`${this.id} ${this.image}`);
  }
}

/** The ALB: round robin over the target group's healthy targets, as the stand-in reports them. */
function startLoadBalancer(
  sim: AwsSimulator,
  containers: Map<string, ApiContainer & { url: string }>,
) {
  let next = 0;
  const server = createServer((req, res) => {
    const targets = sim.loadBalancing.routable('prod');
    const target = targets.length ? containers.get(targets[next++ % targets.length]!) : undefined;
    if (!target) {
      res.writeHead(503).end('no healthy target');
      return;
    }
    fetch(`${target.url}${req.url ?? '/'}`).then(
      async (answer) => res.writeHead(answer.status).end(await answer.text()),
      () => res.writeHead(502).end('target unreachable'),
    );
  });
  return server;
}

describe('rolling redeploy behind the load balancer (real redeploy.sh, real AWS CLI)', () => {
  let sim: AwsSimulator;
  let fleet: AwsFleetRepository;
  let lb: Server;
  let lbUrl: string;
  let work: string;
  const containers = new Map<string, ApiContainer & { url: string }>();
  /** Samples of which hosts were out of the load balancer's rotation. */
  let outOfRotation: string[][] = [];
  const commandIds: string[] = [];
  const lastCommandId = () => commandIds[commandIds.length - 1]!;

  beforeAll(async () => {
    // The AWS CLI is what the hosts run; the suite installs it (.ci/run) where it is missing.
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    work = mkdtempSync(join(tmpdir(), 'rolling-'));
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['prod'],
      services: ['api'],
      hostsPerEnvironment: 3,
      initialVersion: 'v1',
      images: ['v2', 'v3'],
      loadBalanced: ['prod'],
      loadBalancing: {
        deregistrationDelayMs: 600,
        // Slower to pass than the next host takes to reach standby: a roll that did not wait
        // for the healthy verdict would have two hosts out of rotation at once.
        healthCheck: { intervalMs: 700, healthyThreshold: 3, unhealthyThreshold: 2 },
        probe: (id) => containers.get(id)?.ready ?? false,
      },
      timing: { deliverMs: 50, redeployMs: 0 },
      hostAgent: (host, command) => runRedeploy(host, command),
    }).start();
    for (const host of sim.hostsOf('prod')) {
      const container = new ApiContainer(host.id, image('v1'));
      const url = await container.listen();
      containers.set(host.id, Object.assign(container, { url }));
      mkdirSync(join(work, host.id, 'opt'), { recursive: true });
      writeFileSync(join(work, host.id, 'opt/compose.yaml'), 'services: {}\n');
    }
    lb = startLoadBalancer(sim, containers);
    await new Promise<void>((r) => lb.listen(0, '127.0.0.1', r));
    lbUrl = `http://127.0.0.1:${(lb.address() as AddressInfo).port}`;
    fleet = AwsFleetRepository.create({
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: {
        accessKeyId: sim.accessKeyId,
        secretAccessKey: 'sandbox-secret-not-a-real-key',
      },
      pollMs: { initial: 200, max: 500 },
    });
  }, 30_000);

  afterAll(async () => {
    lb?.close();
    for (const container of containers.values()) container.server.close();
    await sim?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function image(tag: string): string {
    return `123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api:${tag}`;
  }

  /** deploy/host/bin/redeploy.sh as the SSM document runs it on `host`, with host.env's values. */
  function runRedeploy(host: SimHost, command: { service: string; imageTag: string }) {
    const dir = join(work, host.id);
    const group = sim.loadBalancing.groupOf('prod')!;
    const env = {
      PATH: `${FAKE_BIN}:${process.env['PATH'] ?? ''}`,
      HOME: dir,
      CHATOPS_DIR: join(dir, 'opt'),
      STATE_DIR: join(dir, 'state'),
      LOCK_FILE: join(dir, 'redeploy.lock'),
      CHATOPS_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      CHATOPS_PROJECT: 'chatops',
      CHATOPS_AUTO_SCALING_GROUP: group.name,
      CHATOPS_TARGET_GROUP_ARN: group.targetGroupArn,
      CHATOPS_LOAD_BALANCED_SERVICES: 'api',
      CHATOPS_INSTANCE_ID: host.id,
      FAKE_BACKEND_URL: containers.get(host.id)!.url,
      ...sim.clientEnv,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_RETRY_MODE: 'standard',
      AWS_MAX_ATTEMPTS: '2',
      HEALTH_POLL_SECONDS: '0.1',
      HEALTH_TIMEOUT_SECONDS: '10',
      LB_POLL_SECONDS: '0.2',
      LB_DRAIN_TIMEOUT_SECONDS: '20',
      LB_HEALTH_TIMEOUT_SECONDS: '20',
    };
    return new Promise<{ exitCode: number; stdout: string; stderr: string }>((done) => {
      execFile(
        'bash',
        [REDEPLOY, command.service, command.imageTag],
        { env, timeout: 120_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          done({ exitCode: code, stdout, stderr });
        },
      );
    });
  }

  /** Rolls api to `tag` as /redeploy and the deploy workflow do, while a client keeps calling. */
  async function rollWhileServing(tag: string) {
    let rolling = true;
    const statuses: number[] = [];
    outOfRotation = [];
    const ids = [...containers.keys()];
    const client = (async () => {
      // Bounded: at most 20,000 requests, whatever happens to the roll.
      for (let i = 0; rolling && i < 20_000; i++) {
        outOfRotation.push(ids.filter((id) => !sim.loadBalancing.routable('prod').includes(id)));
        const answer = await fetch(`${lbUrl}/v1/deployments`);
        await answer.text();
        statuses.push(answer.status);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    let invocations: InvocationResult[];
    try {
      commandIds.push(
        await fleet.sendRedeploy({
          project: 'chatops',
          environment: 'prod',
          service: 'api',
          imageTag: tag,
          documentName: 'chatops-redeploy',
          maxConcurrency: '1',
          maxErrors: '0',
        }),
      );
      invocations = await fleet.followCommand(lastCommandId());
    } finally {
      rolling = false;
      await client;
    }
    return { invocations, statuses };
  }

  it('no request reaches a restarting host, and every host ends on the new version, healthy and in service', async () => {
    const { invocations, statuses } = await rollWhileServing('v2');

    expect(invocations.map((i) => i.status)).toEqual(['Success', 'Success', 'Success']);
    for (const container of containers.values()) {
      expect(container.image).toBe(image('v2'));
      expect(container.hitsWhileRestarting).toBe(0);
    }
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (const id of containers.keys()) {
      expect(sim.loadBalancing.lifecycleOf(id)).toBe('InService');
      expect(sim.loadBalancing.targetStateOf(id)).toBe('healthy');
      // Each host left the rotation during the roll, never two at once.
      expect(outOfRotation.some((out) => out.includes(id))).toBe(true);
    }
    expect(Math.max(...outOfRotation.map((out) => out.length))).toBe(1);
    expect(sim.snapshot().loadBalancing?.groups[0]?.desired).toBe(3);
  }, 180_000);

  it('a host failing its health check is rolled back, left out of service, and stops the roll, named', async () => {
    const [first, second, third] = [...containers.keys()];
    // The new version fails its health check on the second host only.
    const secondContainer = containers.get(second!)!;
    secondContainer.failing = /:v3$/;

    const { invocations, statuses } = await rollWhileServing('v3');

    const byHost = Object.fromEntries(invocations.map((i) => [i.instanceId, i]));
    expect(byHost[first!]?.status).toBe('Success');
    expect(byHost[second!]?.status).toBe('Failed');
    expect(byHost[second!]?.outputTail).toContain(
      `${image('v3')} was unhealthy; rolled back to ${image('v2')}; ${second} is left out of service`,
    );
    // MaxErrors 0: SSM never sends it to the third host, which keeps serving v2.
    expect(byHost[third!]?.status).toBe('Cancelled');
    expect(containers.get(first!)!.image).toBe(image('v3'));
    expect(secondContainer.image).toBe(image('v2'));
    expect(containers.get(third!)!.image).toBe(image('v2'));
    expect(sim.loadBalancing.lifecycleOf(second!)).toBe('Standby');
    expect(sim.loadBalancing.routable('prod')).toEqual([first!, third!].sort());
    for (const container of containers.values()) expect(container.hitsWhileRestarting).toBe(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 180_000);

  it('the next roll returns the host left out first (the group holds one place out), then rolls them all', async () => {
    const [, second] = [...containers.keys()];
    containers.get(second!)!.failing = null;

    const { invocations, statuses } = await rollWhileServing('v2');

    expect(invocations.map((i) => i.status)).toEqual(['Success', 'Success', 'Success']);
    const outputs = await Promise.all(
      invocations.map((i) => fleet.outputTail(lastCommandId(), i.instanceId)),
    );
    expect(outputs.join('\n')).toContain(
      `${second} was left out of service by an earlier roll: returning it to service first`,
    );
    for (const [id, container] of containers) {
      expect(container.image).toBe(image('v2'));
      expect(container.hitsWhileRestarting).toBe(0);
      expect(sim.loadBalancing.lifecycleOf(id)).toBe('InService');
    }
    expect(Math.max(...outOfRotation.map((out) => out.length))).toBe(1);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(sim.snapshot().loadBalancing?.groups[0]?.desired).toBe(3);
  }, 180_000);
});
