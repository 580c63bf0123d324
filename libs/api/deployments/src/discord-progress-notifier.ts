import type { DiscordChannelRepository } from '@chatops/discord-channel';
import {
  describeRequest,
  fitText,
  LIMITS,
  renderDeploymentMessage,
  renderJobDetail,
} from '@chatops/discord-ui';
import { type Clock, isFleetKind, isTerminal, systemClock } from '@chatops/domain';
import type { GithubRepository } from '@chatops/github';
import type { Deployment, Repositories } from '@chatops/persistence';
import type { DeploymentNotifier } from './notifier';

export interface ProgressNotifierOptions {
  /** Edits of one message are at least this far apart; changes meanwhile are coalesced. */
  minIntervalMs?: number;
  /** The time the message's relative times are counted from. */
  clock?: Clock;
  log?: { warn(obj: object, msg: string): void };
  /** The Discord role mentioned on an environment's approval requests (catalog), if any. */
  approverRoleOf?: (environment: string) => string | null | undefined;
  /** Where a failed workflow job's log is read, for its last lines in the thread. */
  logs?: Pick<GithubRepository, 'failedJobLogTail'> | null;
}

/** Lines of a failed step's log a thread shows. */
export const FAILED_LOG_LINES = 20;

interface Pending {
  dirty: boolean;
  done: Promise<void>;
}

/**
 * Keeps each deployment's one channel message in step with its record: posted on the first
 * change, edited after (at most one edit in flight and one per interval per message, the latest
 * state winning), with a thread carrying each finished job's steps. It renders from the database,
 * so a lost edit is healed by the next and nothing depends on the interaction token.
 */
export class DiscordProgressNotifier implements DeploymentNotifier {
  private readonly pending = new Map<string, Pending>();
  private readonly postedJobs = new Set<string>();
  private readonly minIntervalMs: number;

  constructor(
    private readonly repositories: Pick<Repositories, 'deployments' | 'approvals' | 'bakes'>,
    private readonly channel: DiscordChannelRepository,
    private readonly options: ProgressNotifierOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
  }

  changed(deploymentId: string): void {
    const current = this.pending.get(deploymentId);
    if (current) {
      current.dirty = true;
      return;
    }
    const entry: Pending = { dirty: true, done: Promise.resolve() };
    entry.done = this.drain(deploymentId, entry).finally(() => this.pending.delete(deploymentId));
    this.pending.set(deploymentId, entry);
  }

  /** Resolves once every render asked for so far has been sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending.values()].map((p) => p.done));
  }

  private async drain(deploymentId: string, entry: Pending): Promise<void> {
    while (entry.dirty) {
      entry.dirty = false;
      try {
        await this.render(deploymentId);
      } catch (error) {
        this.options.log?.warn(
          { err: error, deploymentId },
          'could not update the deployment message',
        );
      }
      if (entry.dirty) await new Promise((r) => setTimeout(r, this.minIntervalMs));
    }
  }

  /**
   * The requester learns that their request ended by a reply that mentions them (an edit would
   * notify nobody), once across replicas; not when they cancelled it themselves.
   */
  private async tellRequester(deployment: Deployment, statusLine: string): Promise<void> {
    const requester = deployment.requestedBy.id;
    if (!/^\d{17,20}$/.test(requester) || !deployment.channelId || !deployment.messageId) return;
    if (deployment.status === 'cancelled' && deployment.cancelRequestedBy?.id === requester) return;
    if (!(await this.repositories.deployments.claimEndNotice(deployment.id))) return;
    await this.channel.postMessage(
      deployment.channelId,
      { content: fitText(`<@${requester}> ${statusLine}`, LIMITS.content) },
      { replyTo: deployment.messageId, mentionUsers: [requester] },
    );
  }

  /** The end of a failed GitHub job's log; null (and a warning) when it cannot be read. */
  private async failedLog(jobId: string): Promise<string | null> {
    if (!this.options.logs) return null;
    try {
      return await this.options.logs.failedJobLogTail(jobId, FAILED_LOG_LINES);
    } catch (error) {
      this.options.log?.warn({ err: error, jobId }, 'could not read the failed job log');
      return null;
    }
  }

  private async render(deploymentId: string): Promise<void> {
    let deployment = await this.repositories.deployments.get(deploymentId);
    if (!deployment?.channelId) return;
    const approvals = await this.repositories.approvals.list(deploymentId);
    const approverRole =
      deployment.status === 'pending_approval'
        ? (this.options.approverRoleOf?.(deployment.environment) ?? null)
        : null;
    const message = renderDeploymentMessage(
      deployment,
      approvals,
      (this.options.clock ?? systemClock).now(),
      {
        approverRole,
        // A deploy's bake window: "baking", then its verdict.
        bake:
          deployment.status === 'succeeded'
            ? await this.repositories.bakes.get(deploymentId)
            : null,
      },
    );
    if (!deployment.messageId) {
      // The first post of a request awaiting approval pings its environment's approvers; edits
      // notify nobody, and every other post pings no one.
      const posted = await this.channel.postMessage(deployment.channelId, message, {
        mentionRoles:
          approverRole && message.content.includes(`<@&${approverRole}>`) ? [approverRole] : [],
      });
      deployment = await this.repositories.deployments.update(deploymentId, {
        messageId: posted.id,
      });
    } else {
      await this.channel.editMessage(deployment.channelId, deployment.messageId, message);
    }
    const messageId = deployment.messageId as string;
    if (isTerminal(deployment.status)) await this.tellRequester(deployment, message.content);
    if (deployment.runId && !deployment.threadId) {
      const thread = await this.channel.startThread(
        deployment.channelId as string,
        messageId,
        `${describeRequest(deployment)} · run ${deployment.runId}`,
      );
      deployment = await this.repositories.deployments.update(deploymentId, {
        threadId: thread.id,
      });
    }
    if (!deployment.threadId) return;
    for (const job of deployment.progress) {
      const key = `${deploymentId}:${job.id}`;
      if (job.status !== 'completed' || this.postedJobs.has(key)) continue;
      this.postedJobs.add(key);
      const output =
        job.conclusion === 'failure' && !job.output && !isFleetKind(deployment.kind)
          ? await this.failedLog(job.id)
          : null;
      await this.channel.postMessage(deployment.threadId, {
        content: renderJobDetail(output ? { ...job, output } : job),
      });
    }
  }
}
