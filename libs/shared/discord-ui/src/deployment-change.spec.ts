import type { CommitSummary, DeploymentChange } from '@chatops/domain';
import { describeChange, planField, planLine } from './deployment-change';
import { describeRequest, renderDeploymentMessage } from './deployment-message';
import { LIMITS } from './limits';

const sha = (n: number) => n.toString(16).padStart(40, 'a');
const commit = (n: number, title = `Change ${n}`, author = 'alice'): CommitSummary => ({
  sha: sha(n),
  url: `https://github.com/acme/chatops/commit/${sha(n)}`,
  author,
  title,
});

const change = (overrides: Partial<DeploymentChange> = {}): DeploymentChange => ({
  target: commit(20),
  current: { version: sha(1), commit: commit(1, 'Release 1.4') },
  compare: {
    status: 'ahead',
    aheadBy: 12,
    behindBy: 0,
    commits: Array.from({ length: 10 }, (_, i) => commit(20 - i)),
    url: `https://github.com/acme/chatops/compare/${sha(1)}...${sha(20)}`,
  },
  unavailable: null,
  ...overrides,
});

describe('describeChange', () => {
  it('names the target and what runs by short SHA, author and title, linked', () => {
    const view = describeChange(change());
    expect(view.target).toBe(
      `[\`${sha(20).slice(0, 7)}\`](https://github.com/acme/chatops/commit/${sha(20)}) by alice: Change 20`,
    );
    // An image tagged with its commit is named once, as that commit.
    expect(view.running).toBe(
      `[\`${sha(1).slice(0, 7)}\`](https://github.com/acme/chatops/commit/${sha(1)}) by alice: Release 1.4`,
    );
  });

  it('lists ten commits of twelve, newest first, then "and 2 more", with the compare link', () => {
    const lines = (describeChange(change()).compare ?? '').split('\n');
    expect(lines[0]).toBe(
      `12 commits ahead of what runs · [compare](https://github.com/acme/chatops/compare/${sha(1)}...${sha(20)})`,
    );
    expect(lines.slice(1, 11).map((l) => l.replace(/.*: /, ''))).toEqual(
      Array.from({ length: 10 }, (_, i) => `Change ${20 - i}`),
    );
    expect(lines[11]).toBe('…and 2 more');
  });

  it('says one commit, the same commit, and going back in words', () => {
    const one = change({
      compare: { status: 'ahead', aheadBy: 1, behindBy: 0, commits: [commit(20)], url: null },
    });
    expect(describeChange(one).compare?.split('\n')).toHaveLength(2);
    expect(describeChange(one).compare).toMatch(/^1 commit ahead of what runs\n• /);
    const same = change({
      compare: { status: 'identical', aheadBy: 0, behindBy: 0, commits: [], url: null },
    });
    expect(describeChange(same).compare).toBe(
      'Same commit as what runs: nothing changes in the code.',
    );
    const back = change({
      compare: { status: 'behind', aheadBy: 0, behindBy: 3, commits: [], url: null },
    });
    expect(describeChange(back).compare).toBe(
      '⚠️ **Goes back 3 commits**: the target is older than what runs',
    );
  });

  it('shows hostile commit text as typed: no mention, link, heading or line break renders', () => {
    const hostile = commit(
      20,
      '@everyone <@&123> [click](https://evil.example) \n# Heading',
      '<@1>',
    );
    const view = describeChange(change({ target: hostile }));
    const text = view.target?.slice(view.target.indexOf(' by ')) ?? '';
    expect(text).not.toMatch(/(^|[^\\])[@<[#]/);
    expect(view.target).not.toContain('\n');
    const javascript = { ...commit(21), url: 'javascript:alert(1)' };
    expect(describeChange(change({ target: javascript })).target).not.toContain('](');
  });

  it('says what it could not tell', () => {
    const view = describeChange(
      change({ compare: null, unavailable: 'GitHub did not answer within 5 s' }),
    );
    expect(view.compare).toBe('Could not tell: GitHub did not answer within 5 s');
  });
});

/** A prod request waiting for its approver, as the approval message shows it. */
function pendingApproval() {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    kind: 'deploy' as const,
    service: 'api',
    environment: 'prod',
    ref: 'main',
    status: 'pending_approval' as const,
    requestedBy: { id: '1', name: 'alice' },
    runId: null,
    runUrl: null,
    error: null,
    createdAt: Date.now(),
    finishedAt: null,
    approvalsRequired: 1,
    expiresAt: null,
    progress: [],
  };
}

describe('the deployment message with its change', () => {
  it('shows commit, what runs and the change on the approval, within the embed limits', () => {
    const long = change({
      compare: {
        status: 'ahead',
        aheadBy: 400,
        behindBy: 0,
        commits: Array.from({ length: 10 }, (_, i) => commit(i, 'x'.repeat(300))),
        url: null,
      },
    });
    const message = renderDeploymentMessage(
      {
        ...pendingApproval(),
        expiresAt: Date.now() + 60_000,
        change: long,
        progress: [],
      },
      [],
    );
    const fields = message.embeds[0]?.fields ?? [];
    expect(fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['Commit', 'Running now', 'Change']),
    );
    const changeField = fields.find((f) => f.name === 'Change')?.value ?? '';
    expect(changeField.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    expect(changeField).toMatch(/…and \d+ more$/);
  });
});

describe('an AMI build', () => {
  it('names the AMI it built, and nothing that is not an AMI id', () => {
    const base = {
      id: '00000000-0000-4000-8000-000000000002',
      kind: 'ami-build' as const,
      service: 'ami',
      environment: '*',
      ref: 'main',
      status: 'succeeded' as const,
      requestedBy: { id: '1', name: 'alice' },
      runId: '9000000001',
      runUrl: 'https://github.com/acme/chatops/actions/runs/9000000001',
      error: null,
      createdAt: Date.now() - 60_000,
      finishedAt: Date.now(),
      approvalsRequired: 0,
      expiresAt: null,
      progress: [],
    };
    const built = renderDeploymentMessage(
      { ...base, outputs: { amiId: 'ami-0123456789abcdef0' } },
      [],
    );
    expect(built.content).toMatch(
      /^✅ Succeeded: AMI build @ main · built `ami-0123456789abcdef0`/,
    );
    expect(built.embeds[0]?.fields).toContainEqual({
      name: 'AMI',
      value: '`ami-0123456789abcdef0`',
      inline: true,
    });
    const forged = renderDeploymentMessage({ ...base, outputs: { amiId: '`@everyone`' } }, []);
    expect(forged.content).not.toContain('everyone');
  });
});

describe('a promotion', () => {
  it('says where the version came from', () => {
    expect(
      describeRequest({
        kind: 'redeploy',
        service: 'api',
        environment: 'prod',
        ref: 'a'.repeat(40),
        promotedFrom: 'staging',
      }),
    ).toBe('promote api@aaaaaaa staging → prod');
  });

  it('names the image approvers approve by its digest, and nothing that is not a digest', () => {
    const base = {
      ...pendingApproval(),
      kind: 'redeploy' as const,
      ref: 'v2.0.0',
      promotedFrom: 'staging',
    };
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const shown = renderDeploymentMessage({ ...base, imageDigest: digest }, []);
    expect(shown.embeds[0]?.fields).toContainEqual({
      name: 'Image',
      value: '`sha256:0123456789ab`',
      inline: true,
    });
    const forged = renderDeploymentMessage({ ...base, imageDigest: 'sha256:<@&1> @everyone' }, []);
    expect(forged.embeds[0]?.fields?.map((f) => f.name)).not.toContain('Image');
  });
});

describe('a Terraform plan', () => {
  const summary = {
    add: 1,
    change: 1,
    destroy: 1,
    resources: [
      'create aws_lb.api',
      'update aws_launch_template.hosts',
      'delete/create aws_lb_target_group.api',
    ],
  };

  it('says what it changes as Terraform does, listing the resources in a code block', () => {
    expect(planLine(summary)).toBe('Plan: 1 to add, 1 to change, 1 to destroy');
    expect(planLine({ add: 0, change: 0, destroy: 0, resources: [] })).toBe('No changes.');
    expect(planField(summary)).toBe(
      '**Plan: 1 to add, 1 to change, 1 to destroy**\n```\ncreate aws_lb.api\nupdate aws_launch_template.hosts\ndelete/create aws_lb_target_group.api\n```',
    );
  });

  it('names who planned it and where, on the apply, within a field whatever the addresses', () => {
    const many = {
      ...summary,
      resources: Array.from({ length: 20 }, (_, i) => `create aws_x.r${i}["${'k'.repeat(80)}"]`),
    };
    const field = planField(many, {
      deploymentId: 'd',
      runId: '9000000001',
      runUrl: 'https://github.com/acme/chatops/actions/runs/9000000001',
      plannedAt: 1_796_000_000_000,
      plannedBy: 'carol',
    });
    expect(field.split('\n')[1]).toBe(
      'Planned by carol <t:1796000000:R> in run [#9000000001](https://github.com/acme/chatops/actions/runs/9000000001)',
    );
    expect(field.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    expect(field).toMatch(/…and \d+ more\n```$/);
  });
});
