import { z } from 'zod';
import type { DeploymentStatus, JobProgress } from '@chatops/domain';

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
    head_sha: z.string().optional(),
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

const step = z.object({
  number: z.number().int(),
  name: z.string(),
  status: z.string(),
  conclusion: z.string().nullish(),
  started_at: z.string().nullish(),
  completed_at: z.string().nullish(),
});

/** The parts of GitHub's `workflow_job` webhook the tracker reads. */
export const workflowJobEvent = z.object({
  action: z.string(),
  workflow_job: z.object({
    id: z.number().int(),
    run_id: z.number().int(),
    name: z.string(),
    status: z.string(),
    conclusion: z.string().nullish(),
    started_at: z.string().nullish(),
    completed_at: z.string().nullish(),
    html_url: z.string().nullish(),
    steps: z.array(step).default([]),
  }),
  repository: z.object({ full_name: z.string() }),
});

export type WorkflowJobEvent = z.output<typeof workflowJobEvent>;

/** A job as both the webhook and the REST API describe it. */
export interface GithubJobLike {
  id: number | bigint;
  name: string;
  status: string;
  conclusion?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  html_url?: string | null;
  steps: {
    number: number;
    name: string;
    status: string;
    conclusion?: string | null;
    started_at?: string | null;
    completed_at?: string | null;
  }[];
}

/** A job (from a webhook or the REST API) in the domain's progress shape. */
export function jobProgressOf(job: GithubJobLike): JobProgress {
  return {
    id: String(job.id),
    name: job.name,
    status: job.status,
    conclusion: job.conclusion ?? null,
    startedAt: job.started_at ?? null,
    completedAt: job.completed_at ?? null,
    htmlUrl: job.html_url ?? null,
    steps: job.steps.map((s) => ({
      number: s.number,
      name: s.name,
      status: s.status,
      conclusion: s.conclusion ?? null,
      startedAt: s.started_at ?? null,
      completedAt: s.completed_at ?? null,
    })),
  };
}
