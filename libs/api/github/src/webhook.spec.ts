import {
  deploymentStatusFor,
  signWebhookBody,
  verifyWebhookSignature,
  workflowRunEvent,
} from './index';

const SECRET = 'webhook-secret-'.padEnd(40, 'w');

describe('verifyWebhookSignature', () => {
  const body = Buffer.from('{"action":"completed"}');

  it('accepts the HMAC GitHub sends', () => {
    expect(verifyWebhookSignature(SECRET, body, signWebhookBody(SECRET, body))).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['without the prefix', signWebhookBody(SECRET, body).slice('sha256='.length)],
    ['signed with another secret', signWebhookBody('other-secret', body)],
    ['for another body', signWebhookBody(SECRET, '{"action":"requested"}')],
    ['truncated', signWebhookBody(SECRET, body).slice(0, 20)],
    ['not hex', 'sha256=zz'],
  ])('refuses a signature %s', (_case, header) => {
    expect(verifyWebhookSignature(SECRET, body, header)).toBe(false);
  });
});

describe('workflow_run events', () => {
  const run = (status: string, conclusion: string | null) =>
    workflowRunEvent.parse({
      action: status === 'completed' ? 'completed' : 'in_progress',
      workflow_run: {
        id: 42,
        status,
        conclusion,
        html_url: 'https://github.com/acme/chatops/actions/runs/42',
      },
      repository: { full_name: 'acme/chatops' },
    }).workflow_run;

  it.each([
    ['queued', null, null],
    ['waiting', null, null],
    ['in_progress', null, 'running'],
    ['completed', 'success', 'succeeded'],
    ['completed', 'failure', 'failed'],
    ['completed', 'startup_failure', 'failed'],
    ['completed', 'cancelled', 'cancelled'],
    ['completed', 'timed_out', 'timed_out'],
  ])('maps %s/%s to %s', (status, conclusion, expected) => {
    expect(deploymentStatusFor(run(status, conclusion))).toBe(expected);
  });

  it('rejects a payload without a run', () => {
    expect(
      workflowRunEvent.safeParse({ action: 'completed', repository: { full_name: 'a/b' } }).success,
    ).toBe(false);
  });
});
