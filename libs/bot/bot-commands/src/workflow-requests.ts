import type { SlashCommandStringOption } from 'discord.js';
import {
  ApiError,
  BackwardsConfirmation,
  DeploymentOutcome,
  DeploymentRequestBody,
  DeploymentSummary,
} from '@chatops/api-client';
import { describeChange, describeRequest, fitText, planLine, runLink } from '@chatops/discord-ui';
import { isFleetKind, type VersionChoice } from '@chatops/domain';
import type {
  AutocompleteChoice,
  AutocompleteInteraction,
  CommandServices,
  ReplyMessage,
} from './command';
import { backwardsButtons, describeBackwards } from './backwards-confirmation';
import { CommandError } from './command';

type Who = {
  id: string;
  user: { id: string; username: string };
  guildId: string | null;
  channelId: string | null;
};

/** Who is asking, as the API records it. */
export function requester(
  interaction: Who,
  roles: { ids: readonly string[]; names?: readonly string[] },
) {
  return {
    actor: { id: interaction.user.id, name: interaction.user.username },
    roles: { ids: [...roles.ids], ...(roles.names ? { names: [...roles.names] } : {}) },
    source: `discord:guild/${interaction.guildId ?? 'dm'}/channel/${interaction.channelId ?? '?'}`,
  };
}

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

export async function asCommandErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (
      error instanceof ApiError &&
      error.status >= 400 &&
      error.status < 600 &&
      error.status !== 500
    )
      throw new CommandError(error.message, error.status === 403 ? '⛔' : '⚠️');
    if (error instanceof ApiError && error.status === 0) throw new CommandError(error.message);
    throw error;
  }
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

/** Catalog names matching what was typed, for service and environment options. */
export function nameChoices(
  names: readonly string[],
  typed: string | number,
): AutocompleteChoice[] {
  const query = String(typed).toLowerCase();
  return names.filter((n) => n.toLowerCase().includes(query)).map((n) => ({ name: n, value: n }));
}

/** Choices for the `service` and `env` options every deploy-like command has. */
export function catalogChoices(
  interaction: AutocompleteInteraction,
  services: CommandServices,
): AutocompleteChoice[] {
  const focused = interaction.options.getFocused(true);
  if (focused.name === 'service')
    return nameChoices(
      services.catalog.services.map((s) => s.name),
      focused.value,
    );
  if (focused.name === 'env')
    return nameChoices(
      services.catalog.environments.map((e) => e.name),
      focused.value,
    );
  return [];
}

/**
 * Versions deployed to the chosen service and environment before (only once both are chosen),
 * filtered by what is typed: who deployed each, the current one and the bad ones marked.
 */
export async function versionChoices(
  interaction: AutocompleteInteraction,
  services: CommandServices,
  options: { withoutCurrent: boolean },
): Promise<AutocompleteChoice[]> {
  const service = interaction.options.getString('service');
  const environment = interaction.options.getString('env');
  if (!service || !environment) return [];
  const typed = String(interaction.options.getFocused(true).value).toLowerCase();
  const versions = await services.api.recentVersions(service, environment);
  return (
    versions
      .filter((v) => !(options.withoutCurrent && v.current))
      // A choice's value holds at most 100 characters: longer tags are typed.
      .filter((v) => v.value.length <= 100 && v.value.toLowerCase().includes(typed))
      .map((v) => ({ name: versionLabel(v), value: v.value }))
  );
}

/** "v2 · by alice · ⚠️ rolled back from by bob", within a choice's 100 characters. */
function versionLabel(v: VersionChoice): string {
  const notes = [
    v.current ? 'current' : null,
    v.deployedBy ? `by ${v.deployedBy.name}` : null,
    v.bad ? `⚠️ ${v.bad}` : null,
  ].filter(Boolean);
  const value = v.value.length > 60 ? `${v.value.slice(0, 59)}…` : v.value;
  const label = [value, ...notes].join(' · ');
  return label.length > 100 ? `${label.slice(0, 99)}…` : label;
}

/** The optional `env` filter of `/status` and `/alerts`, autocompleted by `catalogChoices`. */
export function optionalEnvironment(option: SlashCommandStringOption): SlashCommandStringOption {
  return option
    .setName('env')
    .setDescription('Environment (default: all)')
    .setRequired(false)
    .setAutocomplete(true);
}
