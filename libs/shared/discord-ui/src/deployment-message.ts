import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
} from 'discord-api-types/v10';
import { goesBackwards, isFleetKind } from '@chatops/domain';
import type {
  BakeAction,
  BakeView,
  DeploymentStatus,
  DeploymentSummary,
  JobProgress,
} from '@chatops/domain';
import { describeChange, planField, planLine } from './deployment-change';
import { fitText, LIMITS, plainText } from './limits';

/** What the message needs to know about a deployment (the API's Deployment record satisfies it). */
export interface DeploymentView extends DeploymentSummary {
  progress: JobProgress[];
}

export interface ApprovalView {
  approver: { id: string; name: string };
  /** When they approved (absent from older APIs). */
  decidedAt?: number;
}

/**
 * How long a request waited for its approvals, and when the one that released it came: the
 * run's own time starts there. Null when it needed none (or the times are unknown).
 */
export function approvalWait(
  d: Pick<DeploymentView, 'approvalsRequired' | 'createdAt'>,
  approvals: readonly ApprovalView[],
): { approvedAt: number; waitedMs: number } | null {
  const times = approvals
    .map((a) => a.decidedAt)
    .filter((t): t is number => typeof t === 'number')
    .sort((a, b) => a - b);
  const approvedAt = d.approvalsRequired > 0 ? times[d.approvalsRequired - 1] : undefined;
  if (approvedAt === undefined) return null;
  return { approvedAt, waitedMs: Math.max(0, approvedAt - d.createdAt) };
}

export interface RenderedMessage {
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponent>[];
}

/** Button ids shared by the API (which renders them) and the bot (which receives the presses). */
export const DEPLOYMENT_BUTTON = {
  approve: 'deploy:approve:',
  reject: 'deploy:reject:',
  cancel: 'deploy:cancel:',
  /** After a failure: the same request again, by whoever presses it. */
  retry: 'deploy:retry:',
  /** After a rollout failed part-way: the hosts that took the new version go back. */
  restore: 'deploy:restore:',
} as const;

export type DeploymentButtonAction = keyof typeof DEPLOYMENT_BUTTON;

export function parseDeploymentButton(
  customId: string,
): { action: DeploymentButtonAction; deploymentId: string } | null {
  for (const [action, prefix] of Object.entries(DEPLOYMENT_BUTTON)) {
    if (customId.startsWith(prefix)) {
      const deploymentId = customId.slice(prefix.length);
      if (/^[0-9a-f-]{36}$/.test(deploymentId))
        return { action: action as DeploymentButtonAction, deploymentId };
    }
  }
  return null;
}

const COLOURS: Record<DeploymentStatus, number> = {
  pending_approval: 0xf1c40f,
  queued: 0x95a5a6,
  dispatched: 0x3498db,
  running: 0x3498db,
  succeeded: 0x2ecc71,
  failed: 0xe74c3c,
  cancelled: 0x7f8c8d,
  rejected: 0x7f8c8d,
  expired: 0x7f8c8d,
  timed_out: 0xe74c3c,
};

/** "deploy api@main → staging", "terraform apply → prod", "AMI build". */
export function describeRequest(
  d: Pick<DeploymentView, 'kind' | 'service' | 'environment' | 'ref' | 'promotedFrom'>,
): string {
  switch (d.kind) {
    case 'infra-plan':
    case 'infra-apply':
    case 'infra-destroy':
      return `terraform ${d.kind.slice('infra-'.length)} → ${d.environment}`;
    case 'ami-build':
      return `AMI build @ ${d.ref}`;
    default: {
      // A full commit SHA is named by its first seven characters, as GitHub does.
      const ref = /^[0-9a-f]{40}$/.test(d.ref) ? d.ref.slice(0, 7) : d.ref;
      return d.promotedFrom
        ? `promote ${d.service}@${ref} ${d.promotedFrom} → ${d.environment}`
        : `${d.kind} ${d.service}@${ref} → ${d.environment}`;
    }
  }
}

/**
 * The one channel message a deployment has, from approval request to its end: a status line
 * (what users and `npm run chat` read), an embed with jobs and steps, and the buttons that
 * apply now. Within Discord's limits whatever the run looks like.
 */
export function renderDeploymentMessage(
  d: DeploymentView,
  approvals: readonly ApprovalView[],
  now: number = Date.now(),
  /**
   * The role a pending request mentions (the environment's approvers, from the catalog), and the
   * bake window of a deploy or redeploy that succeeded, if its environment has one.
   */
  mentions: { approverRole?: string | null; bake?: BakeView | null } = {},
): RenderedMessage {
  const approvers =
    mentions.approverRole && /^\d{17,20}$/.test(mentions.approverRole)
      ? ` <@&${mentions.approverRole}>`
      : '';
  const what = describeRequest(d);
  const run = runLink(d);
  const wait = approvalWait(d, approvals);
  // The run's own time, apart from the wait for approvers.
  const started = wait?.approvedAt ?? d.createdAt;
  const took = !d.finishedAt
    ? ''
    : wait
      ? ` · waited ${formatDuration(wait.waitedMs)} for approval · ran ${formatDuration(d.finishedAt - started)}`
      : ` in ${formatDuration(d.finishedAt - started)}`;
  // An AMI build names what it built (a later roll of the fleet starts from that id).
  const amiId = d.outputs?.amiId;
  const ami = amiId && /^ami-[0-9a-f]{8,17}$/.test(amiId) ? `\`${amiId}\`` : null;
  // SSM invocations have no steps: the error names the failed hosts.
  const failedAt = isFleetKind(d.kind) ? null : failedStep(d.progress);
  const lines: Record<DeploymentStatus, string> = {
    pending_approval: `🕓 **Awaiting approval**: ${what}, requested by ${plainText(d.requestedBy.name, 100)}.${goesBackwards(d.change) ? ` ⚠️ It goes back ${d.change?.compare?.behindBy ?? '?'} commits (the requester confirmed).` : ''} ${approvalsLine(d, approvals)}${d.expiresAt ? ` Expires <t:${Math.floor(d.expiresAt / 1000)}:R>.` : ''}${approvers}`,
    queued: `⏳ Queued: ${what}`,
    dispatched: `🚀 Dispatched: ${what} · ${run ?? 'run pending'}`,
    running: `🔄 Running: ${what} · ${run ?? ''}`,
    succeeded: `✅ Succeeded: ${what}${ami ? ` · built ${ami}` : ''}${d.outputs?.plan ? ` · ${planLine(d.outputs.plan)}` : ''}${took} · ${run ?? ''}`,
    failed: `❌ Failed: ${what}${failedAt ? ` at step "${failedAt.step}" (job ${failedAt.job})` : ''}${d.error ? `: ${d.error}` : ''}${run ? ` · ${run}` : ''}`,
    cancelled: `🛑 Cancelled: ${what}${d.error ? ` (${plainText(d.error, 200)})` : ''}${run ? ` · ${run}` : ''}`,
    rejected: `🚫 Rejected: ${what}${d.error ? ` (${d.error})` : ''}`,
    expired: `⌛ Expired: ${what}: nobody approved it in time`,
    timed_out: `⌛ Timed out: ${what}${run ? ` · ${run}` : ''}`,
  };

  const fields = [
    { name: 'Requested by', value: plainText(d.requestedBy.name, 100), inline: true },
    { name: isFleetKind(d.kind) ? 'Version' : 'Ref', value: `\`${d.ref}\``, inline: true },
  ];
  if (d.change) {
    // What the approvers approve and the channel watches: the commit, what it replaces, the diff.
    const change = describeChange(d.change);
    if (change.target) fields.push({ name: 'Commit', value: change.target, inline: false });
    fields.push({ name: 'Running now', value: change.running, inline: false });
    if (change.compare) fields.push({ name: 'Change', value: change.compare, inline: false });
  }
  if (ami) fields.push({ name: 'AMI', value: ami, inline: true });
  // The image approvers approve (a promotion: what runs where it comes from), by its digest.
  if (d.imageDigest && /^sha256:[a-f0-9]{64}$/.test(d.imageDigest))
    fields.push({ name: 'Image', value: `\`${d.imageDigest.slice(0, 19)}\``, inline: true });
  // What a plan would change, and for an apply the reviewed plan it applies (nothing else).
  if (d.outputs?.plan)
    fields.push({ name: 'Plan', value: planField(d.outputs.plan), inline: false });
  if (d.reviewedPlan)
    fields.push({
      name: 'Applies the plan',
      value: planField(d.reviewedPlan.summary, d.reviewedPlan),
      inline: false,
    });
  if (d.freeze) fields.push({ name: 'Change freeze', value: d.freeze, inline: false });
  if (approvals.length)
    fields.push({
      name: 'Approved by',
      value: approvals.map((a) => plainText(a.approver.name, 100)).join(', '),
      inline: true,
    });
  // The field's name says what it is: the link alone.
  if (run)
    fields.push({
      name: isFleetKind(d.kind) ? 'SSM command' : 'Run',
      value: run.replace(/^(run|command) /, ''),
      inline: true,
    });
  if (wait)
    fields.push({
      name: 'Waited for approval',
      value: formatDuration(wait.waitedMs),
      inline: true,
    });
  fields.push({
    name: d.finishedAt ? (wait ? 'Ran' : 'Took') : wait ? 'Running for' : 'Elapsed',
    value: formatDuration(Math.max(0, (d.finishedAt ?? now) - started)),
    inline: true,
  });

  const embed: APIEmbed = {
    title: fitText(what, LIMITS.embedTitle),
    color: COLOURS[d.status],
    fields: fields.map((f) => ({ ...f, value: fitText(f.value, LIMITS.fieldValue) })),
    footer: { text: `Deployment ${d.id}` },
  };
  // The jobs take what the fields leave of the message's 6,000 embed characters.
  if (d.progress.length)
    embed.description = fitText(
      jobLines(d.progress),
      Math.min(LIMITS.embedDescription, LIMITS.embedTotal - embedLength(embed)),
    );
  const embeds = [embed];
  const outputs = outputEmbed(d.progress, LIMITS.embedTotal - embedLength(embed));
  if (outputs) embeds.push(outputs);

  const bake = mentions.bake && d.status === 'succeeded' ? bakeLine(mentions.bake) : null;
  return {
    content: fitText(bake ? `${lines[d.status]}\n${bake}` : lines[d.status], LIMITS.content),
    embeds,
    components: buttons(d),
  };
}

const BAKE_ACTIONS: Record<BakeAction, string> = {
  'rolled-back': 'rolled back by the platform',
  pinged: 'the requester was pinged',
  'rollback-refused': 'not rolled back',
};

/**
 * "🧪 Baking until …", "✅ Healthy after 10m 0s", "⚠️ ApiHighErrorRate fired 3m 0s after the
 * deploy · rolled back by the platform (to v1)": the bake window's state. What was found carries
 * alert names, shown as typed.
 */
export function bakeLine(bake: BakeView): string {
  if (bake.status === 'baking')
    return `🧪 Baking: watched until <t:${Math.floor(bake.endsAt / 1000)}:R>`;
  if (bake.status === 'healthy')
    return `✅ Healthy after ${formatDuration(bake.endsAt - bake.startedAt)}`;
  const action = bake.action
    ? ` · ${BAKE_ACTIONS[bake.action]}${bake.actionDetail ? ` (${plainText(bake.actionDetail, 200)})` : ''}`
    : '';
  return `⚠️ ${plainText(bake.finding ?? 'the bake failed', 300)}${action}`;
}

/** "run [#123](url)" for workflows, "command [1a2b3c4d](url)" for SSM. */
export function runLink(d: Pick<DeploymentSummary, 'kind' | 'runId' | 'runUrl'>): string | null {
  if (!d.runId) return null;
  const [word, id] = isFleetKind(d.kind)
    ? ['command', d.runId.slice(0, 8)]
    : ['run', `#${d.runId}`];
  return d.runUrl ? `${word} [${id}](${d.runUrl})` : `${word} ${id}`;
}

/** Characters Discord counts towards the 6,000 of a message's embeds. */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((sum, f) => sum + f.name.length + f.value.length, 0)
  );
}

/**
 * The end of each failed host's output (what the redeploy script said before giving up), as
 * much as fits in what is left of the message's embed budget.
 */
function outputEmbed(jobs: readonly JobProgress[], budget: number): APIEmbed | null {
  const failed = jobs.filter((j) => j.output && j.conclusion !== 'success');
  if (!failed.length) return null;
  const title = 'Output of the failed hosts';
  let left = budget - title.length - 50;
  const fields: { name: string; value: string }[] = [];
  for (const job of failed.slice(0, 25)) {
    const name = fitText(
      `${job.name} (${job.detail ?? job.conclusion ?? 'failed'})`,
      LIMITS.fieldName,
    );
    const room = Math.min(LIMITS.fieldValue, left - name.length) - '```\n\n```'.length;
    if (room < 80) break;
    let tail = tailText((job.output ?? '').replaceAll('```', "'''"), room);
    // Cut where a line starts, so the first line shown is a whole one.
    if (tail.startsWith('…') && tail.includes('\n')) tail = `…${tail.slice(tail.indexOf('\n'))}`;
    const value = `\`\`\`\n${tail}\n\`\`\``;
    fields.push({ name, value });
    left -= name.length + value.length;
  }
  return fields.length ? { title, color: COLOURS.failed, fields } : null;
}

/** The last `limit` UTF-16 units of text, never splitting a character, marked with "…". */
export function tailText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const chars = [...text];
  let kept = '';
  for (let i = chars.length - 1; i >= 0; i--) {
    const char = chars[i] ?? '';
    if (kept.length + char.length > limit - 1) break;
    kept = char + kept;
  }
  return `…${kept}`;
}

/** Step-level detail of one job, for the deployment's thread. */
export function renderJobDetail(job: JobProgress): string {
  const header = `${mark(job.status, job.conclusion)} **${job.name}** ${job.conclusion ?? job.status}${durationOf(job.startedAt, job.completedAt)}`;
  const steps = job.steps.map(
    (s) =>
      `${mark(s.status, s.conclusion)} ${s.number}. ${s.name}${durationOf(s.startedAt, s.completedAt)}`,
  );
  const text = [header, ...steps, job.htmlUrl ? `<${job.htmlUrl}>` : ''].filter(Boolean).join('\n');
  if (!job.output || job.conclusion === 'success') return fitText(text, LIMITS.content);
  // A failed host's output: as much of its end as the message has room for.
  const room = LIMITS.content - Math.min(text.length, 1000) - '\n```\n\n```'.length;
  const tail = tailText(job.output.replaceAll('```', "'''"), room);
  return `${fitText(text, 1000)}\n\`\`\`\n${tail}\n\`\`\``;
}

function approvalsLine(d: DeploymentView, approvals: readonly ApprovalView[]): string {
  // Freeze text is the API's, from catalog names restricted to letters, digits and ` ._-`.
  const frozen = d.freeze ? `❄️ ${fitText(d.freeze, 200)}: ` : '';
  return frozen + approvalsCount(d, approvals);
}

function approvalsCount(d: DeploymentView, approvals: readonly ApprovalView[]): string {
  const needed = Math.max(d.approvalsRequired - approvals.length, 0);
  const who = d.approvalsRequired > 1 ? 'distinct approvers' : 'an approver';
  return approvals.length
    ? `${approvals.length} of ${d.approvalsRequired} approvals; ${needed} more needed.`
    : `Needs ${d.approvalsRequired === 1 ? 'approval from' : `${d.approvalsRequired} approvals from`} ${who} other than the requester.`;
}

/**
 * Whether a failed rollout may have left hosts on the new version: a fleet command where some
 * host succeeded, or a deploy workflow that failed in its SSM redeploy step.
 */
export function leftSplit(d: DeploymentView): boolean {
  if (d.status !== 'failed' && d.status !== 'timed_out') return false;
  if (isFleetKind(d.kind))
    return Boolean(d.fromVersion) && d.progress.some((job) => job.conclusion === 'success');
  return d.kind === 'deploy' && failedStep(d.progress)?.step === ROLLOUT_STEP;
}

/** The step of `.github/workflows/deploy.yml` that sends the redeploy command to the hosts. */
export const ROLLOUT_STEP = 'SSM redeploy';

function buttons(d: DeploymentView): APIActionRowComponent<APIButtonComponent>[] {
  const row: APIButtonComponent[] = [];
  if (d.status === 'pending_approval') {
    row.push(
      {
        type: ComponentType.Button,
        style: ButtonStyle.Success,
        label: 'Approve',
        custom_id: `${DEPLOYMENT_BUTTON.approve}${d.id}`,
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        label: 'Reject',
        custom_id: `${DEPLOYMENT_BUTTON.reject}${d.id}`,
      },
    );
  }
  if (d.status === 'failed' || d.status === 'timed_out') {
    if (d.kind === 'deploy' || d.kind === 'redeploy' || d.kind === 'rollback')
      row.push({
        type: ComponentType.Button,
        style: ButtonStyle.Primary,
        label: 'Retry',
        custom_id: `${DEPLOYMENT_BUTTON.retry}${d.id}`,
      });
    if (leftSplit(d))
      row.push({
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        label: 'Roll back the rest',
        custom_id: `${DEPLOYMENT_BUTTON.restore}${d.id}`,
      });
  }
  if (d.status === 'queued' || d.status === 'dispatched' || d.status === 'running') {
    row.push({
      type: ComponentType.Button,
      style: ButtonStyle.Secondary,
      label: 'Cancel',
      custom_id: `${DEPLOYMENT_BUTTON.cancel}${d.id}`,
    });
  }
  if (d.runUrl && /^https?:\/\//.test(d.runUrl))
    row.push({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: isFleetKind(d.kind) ? 'View command' : 'View run',
      url: d.runUrl,
    });
  return row.length ? [{ type: ComponentType.ActionRow, components: row }] : [];
}

function jobLines(jobs: readonly JobProgress[]): string {
  return jobs
    .map((job) => {
      const done = job.steps.filter((s) => s.status === 'completed').length;
      const current = job.steps.find((s) => s.status === 'in_progress');
      const failed = job.steps.find((s) => s.conclusion === 'failure');
      const detail = failed
        ? `failed at ${failed.name}`
        : current
          ? `${current.name} (step ${current.number}/${job.steps.length})`
          : job.steps.length
            ? `${done}/${job.steps.length} steps`
            : (job.detail ?? job.status);
      return `${mark(job.status, job.conclusion)} **${job.name}**: ${detail}${durationOf(job.startedAt, job.completedAt)}`;
    })
    .join('\n');
}

function failedStep(jobs: readonly JobProgress[]): { job: string; step: string } | null {
  for (const job of jobs) {
    const step = job.steps.find((s) => s.conclusion === 'failure');
    if (step) return { job: job.name, step: step.name };
    if (job.conclusion === 'failure') return { job: job.name, step: '(unknown)' };
  }
  return null;
}

function mark(status: string, conclusion: string | null): string {
  if (status !== 'completed') return status === 'in_progress' ? '🔄' : '⏳';
  switch (conclusion) {
    case 'success':
      return '✅';
    case 'failure':
      return '❌';
    case 'cancelled':
      return '🛑';
    case 'skipped':
      return '⏭️';
    default:
      return '⚪';
  }
}

function durationOf(start: string | null, end: string | null): string {
  if (!start || !end) return '';
  return ` (${formatDuration(Date.parse(end) - Date.parse(start))})`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
