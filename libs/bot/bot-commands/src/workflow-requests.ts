import {
  ApiError,
  BackwardsConfirmation,
  DeploymentOutcome,
  DeploymentRequestBody,
  DeploymentSummary,
} from '@chatops/api-client';
import { describeChange, describeRequest, fitText, planLine, runLink } from '@chatops/discord-ui';
import { isFleetKind } from '@chatops/domain';
import { asCommandErrors } from './api-calls';
import type { CommandServices, ReplyMessage } from './command';
import { backwardsButtons, describeBackwards } from './backwards-confirmation';

/**
 * Sends a workflow request to the API, which validates, gates, locks and dispatches; its
 * refusals come back as user-facing errors (⛔ for permissions, ⚠️ otherwise).
 */
export async function requestWorkflow(
  services: CommandServices,
  body: DeploymentRequestBody,
): Promise<WorkflowOutcome> {
  try {
    return await services.api.requestDeployment(body);
  } catch (error) {
    // A target older than what runs: the API holds it until the member confirms.
    const confirmation = error instanceof ApiError && backwardsConfirmationOf(error);
    if (confirmation) return { outcome: 'needs_confirmation', confirmation };
    return asCommandErrors(() => Promise.reject(error));
  }
}

/** What a request came to, as the bot shows it to the requester. */
export type WorkflowOutcome =
  | DeploymentOutcome
  | { outcome: 'needs_confirmation'; confirmation: BackwardsConfirmation };

function backwardsConfirmationOf(error: ApiError): BackwardsConfirmation | null {
  if (error.reason !== 'needs-confirmation') return null;
  const confirmation = error.details?.['confirmation'] as BackwardsConfirmation | undefined;
  return confirmation && typeof confirmation.id === 'string' ? confirmation : null;
}

/** The requester's answer: the outcome in words, and the buttons a confirmation needs. */
export function outcomeReply(outcome: WorkflowOutcome): ReplyMessage {
  if (outcome.outcome !== 'needs_confirmation') return { content: describeOutcome(outcome) };
  return {
    content: describeOutcome(outcome),
    components: backwardsButtons(outcome.confirmation),
  };
}

/** The requester's own answer; the channel message the API posts carries the progress. */
export function describeOutcome(result: WorkflowOutcome): string {
  if (result.outcome === 'needs_confirmation') return describeBackwards(result.confirmation);
  const { outcome, deployment } = result;
  const what = describeRequest(deployment);
  const run = runLink(deployment) ?? 'a run';
  // What it changes, in one line (the channel message has the commits).
  // (What could not be told is on the channel message, not in the requester's answer.)
  const change = deployment.change?.compare
    ? `\n${describeChange(deployment.change).compare?.split('\n')[0] ?? ''}`.trimEnd()
    : deployment.reviewedPlan
      ? `\nIt applies the plan of run #${deployment.reviewedPlan.runId}: ${planLine(deployment.reviewedPlan.summary)}.`
      : '';
  switch (outcome) {
    case 'dispatched':
      return isFleetKind(deployment.kind)
        ? `🚀 Sent ${what} to the hosts as ${run}. Progress is posted in this channel.${change}`
        : `🚀 Dispatched ${what} as ${run}. Progress is posted in this channel.${change}`;
    case 'pending_approval':
      return `🕓 Awaiting approval: ${what} needs ${deployment.approvalsRequired === 1 ? 'an approver' : `${deployment.approvalsRequired} approvers`} other than you${deployment.freeze ? ` (${fitText(deployment.freeze, 200)} is in force)` : ''}. The request is posted in this channel and expires <t:${Math.floor((deployment.expiresAt ?? Date.now()) / 1000)}:R>.${change}`;
    default:
      return `ℹ️ Already requested: ${what} is ${deployment.status.replace('_', ' ')}.`;
  }
}

export function statusMark(status: DeploymentSummary['status']): string {
  const marks: Record<DeploymentSummary['status'], string> = {
    pending_approval: '🕓',
    queued: '⏳',
    dispatched: '🚀',
    running: '🔄',
    succeeded: '✅',
    failed: '❌',
    cancelled: '🛑',
    rejected: '🚫',
    expired: '⌛',
    timed_out: '⌛',
  };
  return marks[status];
}
