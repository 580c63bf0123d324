import {
  createRepositories,
  DatabaseHandle,
  openDatabase,
  Repositories,
} from '@chatops/persistence';
import { GithubWebhookIntake, InvalidWebhookPayloadError } from './github-webhook-intake';

let handle: DatabaseHandle;
let repos: Repositories;
let intake: GithubWebhookIntake;

beforeEach(async () => {
  handle = await openDatabase('sqlite::memory:');
  repos = createRepositories(handle);
  intake = new GithubWebhookIntake(repos);
});

afterEach(() => handle.close());

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
