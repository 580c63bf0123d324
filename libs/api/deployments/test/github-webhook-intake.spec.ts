import type { Repositories } from '@chatops/persistence';
import { useInMemoryRepositories } from './fixtures';
import { DeploymentTracker } from '../src/deployment-tracker';
import { GithubWebhookIntake, InvalidWebhookPayloadError } from '../src/github-webhook-intake';

let intake: GithubWebhookIntake;

const current = useInMemoryRepositories();
let repos: Repositories;

beforeEach(() => {
  repos = current();
  intake = new GithubWebhookIntake(repos, new DeploymentTracker(repos));
});

const run = {
  action: 'completed',
  workflow_run: { id: 7, status: 'completed', conclusion: 'success', html_url: 'https://x/7' },
  repository: { full_name: 'a/b' },
};

describe('GithubWebhookIntake', () => {
  it('handles a delivery once and reports repeats as duplicates', async () => {
    expect(await intake.handle('workflow_run', 'd-1', run)).toEqual({
      delivery: 'd-1',
      status: 'ignored (unknown-run)',
    });
    expect(await intake.handle('workflow_run', 'd-1', run)).toEqual({
      delivery: 'd-1',
      status: 'duplicate',
    });
    expect(await intake.handle('ping', 'd-2', {})).toEqual({ delivery: 'd-2', status: 'pong' });
    expect(await intake.handle('issues', 'd-3', {})).toEqual({
      delivery: 'd-3',
      status: 'ignored (event not used)',
    });
  });

  it('refuses a malformed payload without recording the delivery', async () => {
    const error = await intake
      .handle('workflow_run', 'd-4', { action: 'completed' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidWebhookPayloadError);
    expect((error as InvalidWebhookPayloadError).problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^workflow_run: /)]),
    );
    expect(await repos.webhookDeliveries.seen('github', 'd-4')).toBe(false);
  });
});
