import { EC2Client } from '@aws-sdk/client-ec2';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsFleetRepository } from '@chatops/aws-fleet';
import { AwsSimulator } from '@chatops/aws-sim';
import { escapeCommandData, runRollout } from '../src/cli';

/**
 * The deploy workflow's rollout steps against the AWS stand-in (real SDK clients, SSM's wire
 * protocol) and a local health endpoint.
 */
const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('rollout', () => {
  let sim: AwsSimulator;
  let fleet: AwsFleetRepository;
  let health: Server;
  let healthStatus: number[];
  let catalog: string;
  let dir: string;
  const clients: { destroy(): void }[] = [];

  beforeEach(async () => {
    sim = await new AwsSimulator({
      project: 'chatops',
      environments: ['staging', 'prod'],
      services: ['api', 'bot'],
      initialVersion: 'v1',
      images: [SHA],
      timing: { deliverMs: 10, redeployMs: 30 },
    }).start();
    const config = sim.sdkConfig();
    const ssm = new SSMClient(config);
    const ec2 = new EC2Client(config);
    const ecr = new ECRClient(config);
    clients.push(ssm, ec2, ecr);
    fleet = new AwsFleetRepository({ ssm, ec2, ecr, pollMs: { initial: 10, max: 30 } });
    healthStatus = [];
    health = createServer((req, res) => {
      res.writeHead(healthStatus.shift() ?? 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', url: req.url }));
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    const port = (health.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'rollout-'));
    catalog = join(dir, 'chatops.config.yaml');
    writeFileSync(
      catalog,
      [
        'project: chatops',
        'github: { owner: acme, repo: chatops }',
        'services:',
        '  - name: api',
        '    workflow: deploy.yml',
        '    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api',
        `    healthUrl: http://127.0.0.1:${port}/{environment}/health/ready`,
        'environments:',
        '  - name: staging',
        '  - name: prod',
        '    requiresApproval: true',
        'roles: {}',
        '',
      ].join('\n'),
    );
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.destroy());
    await sim.stop();
    await new Promise((r) => health.close(r));
  });

  async function run(argv: string[], env: Record<string, string> = {}) {
    let output = '';
    const code = await runRollout([...argv, '--catalog', catalog], {
      out: (text) => (output += text),
      env,
      fleet,
      sleep: () => Promise.resolve(),
    });
    return { code, output };
  }
  const target = ['--service', 'api', '--environment', 'staging'];

  it('describes the target for $GITHUB_OUTPUT', async () => {
    const { code, output } = await run(['describe', ...target]);
    expect(code).toBe(0);
    const port = (health.address() as AddressInfo).port;
    expect(output).toBe(
      [
        'repository=chatops-api',
        'parameter=/chatops/staging/api/image',
        'document=chatops-redeploy',
        `health_url=http://127.0.0.1:${port}/staging/health/ready`,
        '',
      ].join('\n'),
    );
  });

  it('records the desired version in Parameter Store', async () => {
    const { code, output } = await run(['set-version', ...target, '--image-tag', SHA]);
    expect(code).toBe(0);
    expect(output).toBe(`/chatops/staging/api/image = ${SHA} (parameter version 2)\n`);
    expect(sim.history('/chatops/staging/api/image').map((p) => p.value)).toEqual(['v1', SHA]);
  });

  it('redeploys every host of the environment by tag, one at a time, and waits for the end', async () => {
    const summary = join(dir, 'summary.md');
    const { code, output } = await run(['redeploy', ...target, '--image-tag', SHA], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(code).toBe(0);
    const hosts = sim.hostsOf('staging');
    for (const host of hosts) {
      expect(host.running['api']).toBe(SHA);
      expect(output).toContain(`${host.id}: Success`);
    }
    expect(sim.hostsOf('prod').every((h) => h.running['api'] === 'v1')).toBe(true);
    expect(output).toContain(`2 of 2 hosts run api ${SHA}`);
    expect(readFileSync(summary, 'utf8')).toContain(`| ${hosts[0]!.id} | Success |`);
  });

  it('fails when a host does not converge, with its output fenced from workflow commands', async () => {
    const failing = sim.hostsOf('staging')[0]!.id;
    sim.failNext(failing);
    const { code, output } = await run(['redeploy', ...target, '--image-tag', SHA], {
      GITHUB_ACTIONS: 'true',
    });
    expect(code).toBe(1);
    expect(output).toMatch(
      new RegExp(
        `::error title=rollout::2 of 2 hosts did not converge: ${failing} Failed, i-\\w+ Cancelled; now running the previous version on ${failing}, i-\\w+\n`,
      ),
    );
    // The desired version was never this tag (no set-version): nothing to set back.
    expect(sim.history('/chatops/staging/api/image').map((p) => p.value)).toEqual(['v1']);
    const token = /::stop-commands::([0-9a-f]{32})\n/.exec(output)?.[1];
    expect(token).toBeDefined();
    const fenced = output.slice(output.indexOf(`::stop-commands::${token}`));
    expect(fenced).toContain(`--- ${failing} (Failed)`);
    expect(fenced).toContain('health check failed');
    expect(fenced.trimEnd().endsWith(`::${token}::`)).toBe(true);
  });

  it('sets the desired version back when the rollout fails after the first host took it', async () => {
    const [first, second] = sim.hostsOf('staging').map((h) => h.id);
    expect((await run(['set-version', ...target, '--image-tag', SHA])).code).toBe(0);
    sim.failNext(second);
    const { code, output } = await run(['redeploy', ...target, '--image-tag', SHA]);
    expect(code).toBe(1);
    expect(output).toContain(
      `1 of 2 hosts did not converge: ${second} Failed; now running ${SHA} on ${first}; v1 on ${second}; the desired version was set back from ${SHA} to v1`,
    );
    expect(sim.history('/chatops/staging/api/image').map((p) => p.value)).toEqual([
      'v1',
      SHA,
      'v1',
    ]);
    expect(sim.hostsOf('staging').map((h) => h.running['api'])).toEqual([SHA, 'v1']);
  });

  it('fails when no host carries the environment tags', async () => {
    writeFileSync(
      catalog,
      readFileSync(catalog, 'utf8').replace('  - name: prod\n', '  - name: qa\n'),
    );
    const { code, output } = await run([
      'redeploy',
      '--service',
      'api',
      '--environment',
      'qa',
      '--image-tag',
      SHA,
    ]);
    expect(code).toBe(1);
    expect(output).toBe(
      'no running host in qa (tags Project=chatops, Environment=qa, Role=docker-host)\n',
    );
    expect(sim.calls.map((c) => c.action)).not.toContain('SSM.SendCommand');
  });

  it('refuses when no host is reachable by SSM', async () => {
    for (const host of sim.hostsOf('staging')) sim.setPing(host.id, 'ConnectionLost');
    const { code, output } = await run(['redeploy', ...target, '--image-tag', SHA]);
    expect(code).toBe(1);
    expect(output).toMatch(
      /^none of staging's hosts is reachable by SSM \(i-\w+: ConnectionLost, /,
    );
  });

  it('reports AWS refusals plainly', async () => {
    sim.denyNext(/SendCommand/);
    const { code, output } = await run(['redeploy', ...target, '--image-tag', SHA]);
    expect(code).toBe(1);
    expect(output).toBe("AWS denied the platform's role permission to send the redeploy command\n");
  });

  it('smoke-tests the health URL until it answers 2xx', async () => {
    healthStatus = [503, 502];
    const { code, output } = await run(['smoke-test', ...target]);
    expect(code).toBe(0);
    expect(output).toContain('/staging/health/ready: HTTP 503 (attempt 1 of 10)');
    expect(output).toContain('/staging/health/ready: HTTP 200 (attempt 3)');
  });

  it('fails the smoke test when the service stays unhealthy', async () => {
    healthStatus = Array.from({ length: 5 }, () => 503);
    const { code, output } = await run(['smoke-test', ...target, '--attempts', '3']);
    expect(code).toBe(1);
    expect(output).toMatch(/health\/ready is not healthy after 3 attempts \(last: HTTP 503\)\n$/);
  });

  it('refuses names outside the catalog and bad tags before calling AWS', async () => {
    const calls = sim.calls.length;
    const unknown = await run([
      'set-version',
      '--service',
      'web',
      '--environment',
      'dev',
      '--image-tag',
      SHA,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toBe(
      'service "web" is not in the catalog (api); environment "dev" is not in the catalog (staging, prod)\n',
    );
    const badTag = await run(['redeploy', ...target, '--image-tag', "v1';reboot"]);
    expect(badTag.code).toBe(2);
    expect(badTag.output).toMatch(/^image tag: /);
    expect(sim.calls.length).toBe(calls);
  });

  it('lists every usage problem at once', async () => {
    const { code, output } = await run(['deploy', '--attempts', '0']);
    expect(code).toBe(2);
    expect(output).toContain(
      'give one command: describe, set-version, redeploy, smoke-test; --service is required; --environment is required; --attempts must be a whole number from 1 to 100',
    );
    expect(output).toContain('Usage: rollout <command>');
  });

  it('needs AWS_REGION when it builds its own clients', async () => {
    let output = '';
    const code = await runRollout(
      ['set-version', ...target, '--image-tag', SHA, '--catalog', catalog],
      {
        out: (text) => (output += text),
        env: {},
      },
    );
    expect(code).toBe(1);
    expect(output).toBe('AWS_REGION is not set (configure-aws-credentials sets it)\n');
  });

  it('escapes workflow command data', () => {
    expect(escapeCommandData('50%\r\n::x')).toBe('50%25%0D%0A::x');
  });
});
