import { DEPLOYMENT_STATUSES } from '@chatops/domain';
import {
  approvalWait,
  DeploymentView,
  embedLength,
  parseDeploymentButton,
  renderDeploymentMessage,
  renderJobDetail,
  ROLLOUT_STEP,
} from './deployment-message';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const base: DeploymentView = {
  id: ID,
  kind: 'deploy',
  service: 'api',
  environment: 'prod',
  ref: 'main',
  status: 'running',
  requestedBy: { id: '1', name: 'alice' },
  runId: '9001',
  runUrl: 'https://github.com/acme/chatops/actions/runs/9001',
  error: null,
  createdAt: 1_000_000,
  finishedAt: null,
  approvalsRequired: 1,
  expiresAt: null,
  progress: [],
};
const step = (number: number, name: string, conclusion: string | null) => ({
  number,
  name,
  status: conclusion ? 'completed' : 'in_progress',
  conclusion,
  startedAt: '2026-11-21T10:00:00Z',
  completedAt: conclusion ? '2026-11-21T10:00:04Z' : null,
});

const labels = (d: DeploymentView) =>
  renderDeploymentMessage(d, [], 2_000_000).components.flatMap((row) =>
    row.components.map((c) => ('label' in c ? c.label : undefined)),
  );

describe('renderDeploymentMessage', () => {
  it('offers the buttons that apply to each status', () => {
    expect(labels({ ...base, status: 'pending_approval', runId: null, runUrl: null })).toEqual([
      'Approve',
      'Reject',
    ]);
    expect(labels(base)).toEqual(['Cancel', 'View run']);
    expect(labels({ ...base, status: 'succeeded', finishedAt: 1_042_000 })).toEqual(['View run']);
  });

  it('offers Retry after a failure, and Roll back the rest when some hosts took the new version', () => {
    const host = (id: string, conclusion: string) => ({
      id,
      name: id,
      status: 'completed',
      conclusion,
      startedAt: null,
      completedAt: null,
      htmlUrl: null,
      steps: [],
    });
    const redeploy: DeploymentView = {
      ...base,
      kind: 'redeploy',
      ref: 'v3',
      fromVersion: 'v2',
      status: 'failed',
      runUrl: null,
      finishedAt: 1_042_000,
      progress: [host('i-1', 'success'), host('i-2', 'failure')],
    };
    expect(labels(redeploy)).toEqual(['Retry', 'Roll back the rest']);
    // The first host failed: nothing took v3, nothing to roll back.
    expect(
      labels({ ...redeploy, progress: [host('i-1', 'failure'), host('i-2', 'cancelled')] }),
    ).toEqual(['Retry']);
    // A deploy that failed in its rollout step; one that failed building left the hosts alone.
    const rollout = {
      ...host('deploy', 'failure'),
      steps: [step(1, 'Push to ECR', 'success'), step(2, ROLLOUT_STEP, 'failure')],
    };
    const build = { ...host('build', 'failure'), steps: [step(1, 'Build image', 'failure')] };
    expect(labels({ ...base, status: 'failed', runUrl: null, progress: [rollout] })).toEqual([
      'Retry',
      'Roll back the rest',
    ]);
    expect(labels({ ...base, status: 'failed', runUrl: null, progress: [build] })).toEqual([
      'Retry',
    ]);
    expect(labels({ ...base, kind: 'infra-apply', status: 'failed', runUrl: null })).toEqual([]);
    const ids = renderDeploymentMessage(redeploy, []).components[0]!.components.map((c) =>
      'custom_id' in c ? parseDeploymentButton(c.custom_id) : null,
    );
    expect(ids).toEqual([
      { action: 'retry', deploymentId: ID },
      { action: 'restore', deploymentId: ID },
    ]);
  });

  it('tells the wait for approval apart from the run itself', () => {
    const approved = renderDeploymentMessage(
      { ...base, approvalsRequired: 1, status: 'succeeded', finishedAt: 1_000_000 + 128_000 },
      [
        { approver: { id: '2', name: 'bob' }, decidedAt: 1_000_000 + 120_000 },
        // A later approval, after the one that released it, does not move the start.
        { approver: { id: '3', name: 'carol' }, decidedAt: 1_000_000 + 125_000 },
      ],
    );
    expect(approved.content).toBe(
      '✅ Succeeded: deploy api@main → prod · waited 2m 0s for approval · ran 8s · run [#9001](https://github.com/acme/chatops/actions/runs/9001)',
    );
    const fields = approved.embeds[0]?.fields?.map((f) => `${f.name}: ${f.value}`);
    expect(fields).toEqual(expect.arrayContaining(['Waited for approval: 2m 0s', 'Ran: 8s']));
    // Needing two, with one given: still waiting, no split yet.
    expect(
      approvalWait({ approvalsRequired: 2, createdAt: 0 }, [
        { approver: { id: '2', name: 'bob' }, decidedAt: 5 },
      ]),
    ).toBeNull();
  });

  it('names the run on success and the failed step on failure', () => {
    expect(
      renderDeploymentMessage({ ...base, status: 'succeeded', finishedAt: 1_042_000 }, []).content,
    ).toBe(
      '✅ Succeeded: deploy api@main → prod in 42s · run [#9001](https://github.com/acme/chatops/actions/runs/9001)',
    );
    const failed = renderDeploymentMessage(
      {
        ...base,
        status: 'failed',
        finishedAt: 1_010_000,
        progress: [
          {
            id: '1',
            name: 'build',
            status: 'completed',
            conclusion: 'failure',
            startedAt: null,
            completedAt: null,
            htmlUrl: null,
            steps: [step(1, 'Check out', 'success'), step(2, 'Scan image', 'failure')],
          },
        ],
      },
      [],
    );
    expect(failed.content).toMatch(
      /^❌ Failed: deploy api@main → prod at step "Scan image" \(job build\)/,
    );
    expect(failed.embeds[0]?.description).toContain('❌ **build**: failed at Scan image');
  });

  it('says how many approvals are still needed', () => {
    const message = renderDeploymentMessage(
      { ...base, kind: 'infra-destroy', status: 'pending_approval', approvalsRequired: 2 },
      [{ approver: { id: '2', name: 'bob' } }],
    );
    expect(message.content).toContain('terraform destroy → prod');
    expect(message.content).toContain('1 of 2 approvals; 1 more needed.');
    expect(message.embeds[0]?.fields).toContainEqual({
      name: 'Approved by',
      value: 'bob',
      inline: true,
    });
  });

  it('names the change freeze that holds a request for an approver, and keeps naming it', () => {
    const freeze = 'change freeze "year-end" (2026-12-20 00:00 → 2027-01-04 09:00 (UTC))';
    const held = renderDeploymentMessage(
      { ...base, environment: 'staging', status: 'pending_approval', freeze },
      [],
    );
    expect(held.content).toContain(
      '❄️ change freeze "year-end" (2026-12-20 00:00 → 2027-01-04 09:00 (UTC)): Needs approval from an approver other than the requester.',
    );
    const ran = renderDeploymentMessage(
      { ...base, status: 'succeeded', freeze, finishedAt: 1_042_000 },
      [],
    );
    expect(ran.embeds[0]?.fields).toContainEqual({
      name: 'Change freeze',
      value: freeze,
      inline: false,
    });
  });

  it('stays within Discord limits for every status, however long the run', () => {
    const jobs = Array.from({ length: 60 }, (_, i) => ({
      id: String(i),
      name: `job-${'x'.repeat(80)}-${i}`,
      status: 'completed',
      conclusion: 'success',
      startedAt: null,
      completedAt: null,
      htmlUrl: null,
      steps: Array.from({ length: 30 }, (_, n) => step(n + 1, `step ${'y'.repeat(50)}`, 'success')),
    }));
    for (const status of DEPLOYMENT_STATUSES) {
      const message = renderDeploymentMessage(
        { ...base, status, ref: 'r'.repeat(100), error: 'e'.repeat(3000), progress: jobs },
        [],
      );
      expect(message.content.length).toBeLessThanOrEqual(2000);
      expect(message.embeds[0]?.description?.length ?? 0).toBeLessThanOrEqual(4096);
      expect(message.embeds[0]?.title?.length ?? 0).toBeLessThanOrEqual(256);
      expect(renderJobDetail(jobs[0]!).length).toBeLessThanOrEqual(2000);
    }
  });
});

describe('renderDeploymentMessage for SSM redeploys', () => {
  const host = (id: string, detail: string, output: string | null = null) => ({
    id,
    name: id,
    status: ['Pending', 'InProgress'].includes(detail)
      ? detail === 'Pending'
        ? 'queued'
        : 'in_progress'
      : 'completed',
    conclusion:
      detail === 'Success'
        ? 'success'
        : ['Pending', 'InProgress'].includes(detail)
          ? null
          : 'failure',
    startedAt: detail === 'Pending' ? null : '2026-11-21T10:00:00Z',
    completedAt: ['Pending', 'InProgress'].includes(detail) ? null : '2026-11-21T10:00:12Z',
    htmlUrl: null,
    steps: [],
    detail,
    output,
  });
  const redeploy: DeploymentView = {
    ...base,
    kind: 'redeploy',
    environment: 'staging',
    ref: 'v2',
    runId: '5f0c1e2d-aaaa-bbbb-cccc-123456789012',
    runUrl:
      'https://eu-west-1.console.aws.amazon.com/systems-manager/run-command/5f0c1e2d-aaaa-bbbb-cccc-123456789012?region=eu-west-1',
  };

  it('shows each host with its SSM status and duration, and the command', () => {
    const message = renderDeploymentMessage(
      {
        ...redeploy,
        progress: [host('i-0a', 'Success'), host('i-0b', 'InProgress'), host('i-0c', 'Pending')],
      },
      [],
      2_000_000,
    );
    expect(message.content).toBe(
      '🔄 Running: redeploy api@v2 → staging · command [5f0c1e2d](https://eu-west-1.console.aws.amazon.com/systems-manager/run-command/5f0c1e2d-aaaa-bbbb-cccc-123456789012?region=eu-west-1)',
    );
    expect(message.embeds[0]?.description).toBe(
      '✅ **i-0a**: Success (12s)\n🔄 **i-0b**: InProgress\n⏳ **i-0c**: Pending',
    );
    expect(message.embeds[0]?.fields?.map((f) => f.name)).toEqual([
      'Requested by',
      'Version',
      'SSM command',
      'Elapsed',
    ]);
    expect(message.embeds[0]?.fields?.[2]?.value).toBe(`[5f0c1e2d](${redeploy.runUrl})`);
    expect(labels(redeploy)).toEqual(['Cancel', 'View command']);
  });

  it('shows a failed host and the end of its output', () => {
    const output = `${'noise\n'.repeat(500)}redeploy: error: v2 was unhealthy; rolled back to v1`;
    const message = renderDeploymentMessage(
      {
        ...redeploy,
        status: 'failed',
        finishedAt: 1_030_000,
        error: '1 of 2 hosts failed: i-0b (Failed)',
        progress: [host('i-0a', 'Success'), host('i-0b', 'Failed', output)],
      },
      [],
    );
    expect(message.content).toMatch(
      /^❌ Failed: redeploy api@v2 → staging: 1 of 2 hosts failed: i-0b \(Failed\) · command \[/,
    );
    const outputs = message.embeds[1];
    expect(outputs?.title).toBe('Output of the failed hosts');
    expect(outputs?.fields?.[0]?.name).toBe('i-0b (Failed)');
    expect(outputs?.fields?.[0]?.value).toMatch(/^```\n…\nnoise\n[\s\S]*rolled back to v1\n```$/);
    expect(outputs?.fields?.[0]?.value.length).toBeLessThanOrEqual(1024);
  });

  it('puts a failed host’s output in its thread post, within the content limit', () => {
    const detail = renderJobDetail(
      host('i-0b', 'Failed', `${'z'.repeat(5000)}\nrolled back to v1`),
    );
    expect(detail).toMatch(/^❌ \*\*i-0b\*\* failure \(12s\)\n```\n…z+\nrolled back to v1\n```$/);
    expect(detail.length).toBeLessThanOrEqual(2000);
    expect(renderJobDetail(host('i-0a', 'Success', 'all good'))).toBe('✅ **i-0a** success (12s)');
  });

  it('keeps every failed host’s output within the message’s embed budget', () => {
    const hosts = Array.from({ length: 40 }, (_, i) => host(`i-${i}`, 'Failed', 'x'.repeat(3000)));
    const message = renderDeploymentMessage({ ...redeploy, status: 'failed', progress: hosts }, []);
    const total = message.embeds.reduce((sum, e) => sum + embedLength(e), 0);
    expect(total).toBeLessThanOrEqual(6000);
    expect(message.embeds[1]?.fields?.length).toBeGreaterThan(0);
    for (const field of message.embeds[1]?.fields ?? [])
      expect(field.value.length).toBeLessThanOrEqual(1024);
  });
});

describe('parseDeploymentButton', () => {
  it('reads its own button ids and nothing else', () => {
    expect(parseDeploymentButton(`deploy:approve:${ID}`)).toEqual({
      action: 'approve',
      deploymentId: ID,
    });
    expect(parseDeploymentButton(`deploy:cancel:${ID}`)).toEqual({
      action: 'cancel',
      deploymentId: ID,
    });
    expect(parseDeploymentButton('deploy:approve:../../x')).toBeNull();
    expect(parseDeploymentButton('silence:1h:abc')).toBeNull();
  });
});
