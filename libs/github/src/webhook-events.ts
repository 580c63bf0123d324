import { z } from 'zod';
import type { DeploymentStatus } from '@chatops/domain';

/** The parts of GitHub's `workflow_run` webhook the tracker reads. */
export const workflowRunEvent = z.object({
  action: z.string(),
  workflow_run: z.object({
    id: z.number().int(),
    name: z.string().nullish(),
    display_title: z.string().nullish(),
    status: z.string().nullish(),
    conclusion: z.string().nullish(),
    html_url: z.string(),
    run_attempt: z.number().int().optional(),
  }),
  repository: z.object({ full_name: z.string() }),
});

export type WorkflowRunEvent = z.output<typeof workflowRunEvent>;

/**
 * What a run's status and conclusion mean for a deployment; null while nothing changes
 * (queued, requested, waiting for an environment's reviewers).
 */
export function deploymentStatusFor(
  run: WorkflowRunEvent['workflow_run'],
): DeploymentStatus | null {
  if (run.status === 'in_progress') return 'running';
  if (run.status !== 'completed') return null;
  switch (run.conclusion) {
    case 'success':
      return 'succeeded';
    case 'cancelled':
      return 'cancelled';
    case 'timed_out':
      return 'timed_out';
    default:
      // failure, startup_failure, action_required, neutral, skipped, stale: not a success.
      return 'failed';
  }
}
