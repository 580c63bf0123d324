import { createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GithubSimulator } from './github-simulator';

const TOKEN = 'ghs_simulator';
const SECRET = 'webhook-secret-0123456789';
let receiver: Server;
let received: { event: string; action: string; body: Record<string, unknown>; valid: boolean }[];
let github: GithubSimulator;

beforeEach(async () => {
  received = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = JSON.parse(raw.toString()) as Record<string, unknown>;
      const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      received.push({
        event: String(req.headers['x-github-event']),
        action: String(body['action']),
        body,
        valid: req.headers['x-hub-signature-256'] === expected,
      });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  const { port } = receiver.address() as AddressInfo;
  github = await new GithubSimulator({
    owner: 'acme',
    repo: 'chatops',
    token: TOKEN,
    webhook: { url: `http://127.0.0.1:${port}/hook`, secret: SECRET },
    timing: { queuedMs: 10, stepMs: 5 },
  }).start();
});

afterEach(async () => {
  await github.stop();
  receiver.close();
});

async function dispatch(requestId: string): Promise<number> {
  const res = await fetch(
    `${github.baseUrl}/repos/acme/chatops/actions/workflows/deploy.yml/dispatches`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        ref: 'main',
        inputs: { service: 'api', environment: 'staging', ref: 'main', request_id: requestId },
        return_run_details: true,
      }),
    },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { workflow_run_id: number }).workflow_run_id;
}

async function completed(runId: number) {
  for (let i = 0; i < 300 && github.run(runId)?.status !== 'completed'; i++)
    await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20));
  return github.run(runId);
}

describe('GithubSimulator', () => {
  it('moves a run through queued, its jobs and steps, with signed webhooks in order', async () => {
    const runId = await dispatch('req-1');
    expect(github.run(runId)).toMatchObject({ status: 'queued', conclusion: null });
    expect(await completed(runId)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(received.every((r) => r.valid)).toBe(true);
    expect(received.map((r) => `${r.event}.${r.action}`)).toEqual([
      'workflow_run.requested',
      'workflow_run.in_progress',
      'workflow_job.queued',
      'workflow_job.in_progress',
      'workflow_job.completed',
      'workflow_job.queued',
      'workflow_job.in_progress',
      'workflow_job.completed',
      'workflow_run.completed',
    ]);
    const lastJob = received[7]?.body['workflow_job'] as { steps: { conclusion: string }[] };
    expect(lastJob.steps.every((s) => s.conclusion === 'success')).toBe(true);
  });

  it('fails the next run at the chosen step and skips what follows', async () => {
    github.failNext({ job: 'build', step: 'Scan image' });
    const runId = await dispatch('req-2');
    expect((await completed(runId))?.conclusion).toBe('failure');
    const jobs = received
      .filter((r) => r.event === 'workflow_job' && r.action === 'completed')
      .map(
        (r) =>
          r.body['workflow_job'] as {
            name: string;
            conclusion: string;
            steps: { name: string; conclusion: string }[];
          },
      );
    expect(jobs.map((j) => [j.name, j.conclusion])).toEqual([['build', 'failure']]);
    expect(jobs[0]?.steps.map((s) => s.conclusion)).toEqual([
      'success',
      'success',
      'success',
      'failure',
      'skipped',
    ]);
    // The next run is not affected.
    expect((await completed(await dispatch('req-3')))?.conclusion).toBe('success');
  });

  it('refuses bad credentials, unknown refs and unexpected inputs like GitHub', async () => {
    const post = (body: unknown, token = TOKEN) =>
      fetch(`${github.baseUrl}/repos/acme/chatops/actions/workflows/deploy.yml/dispatches`, {
        method: 'POST',
        headers: { authorization: `token ${token}` },
        body: JSON.stringify(body),
      });
    expect((await post({ ref: 'main' }, 'nope')).status).toBe(401);
    expect((await post({ ref: 'nope', inputs: {} })).status).toBe(422);
    const res = await post({ ref: 'main', inputs: { extra: 'x' } });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toMatch(/Unexpected inputs/);
    expect(github.listRuns()).toHaveLength(0);
  });

  it('sends no webhooks while they are turned off', async () => {
    github.webhooksEnabled = false;
    await completed(await dispatch('req-4'));
    expect(received).toHaveLength(0);
  });
});

describe('state across restarts', () => {
  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(check()).toBe(true);
  };

  it('saves on every change, and a restored stand-in carries on numbering and finishing runs', async () => {
    let saves = 0;
    let saved = github.snapshot();
    const first = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: TOKEN,
      timing: { queuedMs: 10, stepMs: 200 },
      onChange: () => {
        saves++;
        saved = first.snapshot();
      },
    }).start();
    const before = github;
    github = first;
    const running = await dispatch('req-1');
    // The run is in the saved state by the time the dispatch has answered.
    expect(saves).toBeGreaterThan(0);
    expect(saved.runs.map((r) => r.payload.id)).toEqual([running]);
    await waitFor(() => saved.runs[0]?.jobs[0]?.steps?.[0]?.status === 'in_progress');
    first.failNext({ job: 'rollout' });
    await fetch(`${first.baseUrl}/_sim/github/webhooks`, {
      method: 'POST',
      body: JSON.stringify({ enabled: true }),
    });
    // Killed mid-step: only what was saved survives.
    await first.stop();
    github = before;

    const { port } = receiver.address() as AddressInfo;
    const second = await new GithubSimulator({
      owner: 'acme',
      repo: 'chatops',
      token: TOKEN,
      webhook: { url: `http://127.0.0.1:${port}/hook`, secret: SECRET },
      timing: { queuedMs: 10, stepMs: 5 },
      state: JSON.parse(JSON.stringify(saved)) as typeof saved,
    }).start();
    try {
      expect(second.run(running)?.status).toBe('in_progress');
      second.resume();
      await waitFor(() => second.run(running)?.status === 'completed');
      expect(second.run(running)?.conclusion).toBe('success');
      const jobs = received.filter((r) => r.event === 'workflow_job' && r.action === 'completed');
      expect(jobs.map((j) => (j.body['workflow_job'] as { id: number }).id)).toEqual([
        7_000_000_001, 7_000_000_002,
      ]);
      // Ids carry on (no run id handed out twice), and the saved knob still applies.
      github = second;
      const next = await dispatch('req-2');
      expect(next).toBe(running + 1);
      await waitFor(() => second.run(next)?.status === 'completed');
      expect(second.run(next)?.conclusion).toBe('failure');
      expect(second.listRuns().map((r) => r.run_number)).toEqual([1, 2]);
    } finally {
      github = before;
      await second.stop();
    }
  });

  it('refuses a state of another version or naming an unknown workflow', () => {
    const state = { ...github.snapshot() };
    expect(
      () =>
        new GithubSimulator({
          owner: 'acme',
          repo: 'chatops',
          token: TOKEN,
          state: { ...state, version: 2 as 1 },
        }),
    ).toThrow('GitHub stand-in state version 2 is not 1');
    const run = {
      workflow: 'gone.yml',
      payload: {} as never,
      inputs: {},
      jobs: [],
      cancelRequested: false,
      failure: null,
    };
    expect(
      () =>
        new GithubSimulator({
          owner: 'acme',
          repo: 'chatops',
          token: TOKEN,
          state: { ...state, runs: [run] },
        }),
    ).toThrow('unknown workflow gone.yml');
  });
});
