import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { classifyDiscordFailure, type DiscordChannelRepository } from '@chatops/discord-channel';
import { backoffDelay } from '@chatops/discord-rest';
import { renderAlertGroupMessage, type AlertGroupView } from '@chatops/discord-ui';
import type { Catalog } from '@chatops/domain';
import type { AlertGroup, OutboxMessage, Repositories } from '@chatops/persistence';
import { silentAlertMetrics, type AlertMetrics } from './alert-metrics';
import { ALERT_TOPIC, type AlertOutboxPayload } from './topic';

export interface AlertDeliveryOptions {
  /** The channel alert messages go to. */
  channelId: string;
  catalog: Catalog;
  metrics?: AlertMetrics;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Notifications claimed per round; a round renders each group they touch once. */
  batchSize?: number;
  /**
   * How long a claim holds without a heartbeat: how soon another instance takes over the
   * notifications of one that died. A live worker renews its claims every `heartbeatMs`, so a
   * round slowed by Discord's rate limits keeps them.
   */
  leaseMs?: number;
  heartbeatMs?: number;
  /**
   * This process's stable identity (for example host and port): a restarted process recognises
   * the claims its killed predecessor left and takes them at once. Default: random per process.
   */
  instanceId?: string;
  /** Pause between rounds when the outbox is empty (new notifications wake the worker). */
  idleMs?: number;
  /** Retry delays double from `firstRetryMs` up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** Groups delivered at once (the REST client still queues per Discord route). */
  concurrency?: number;
  /** How long delivered notifications are kept, and so how long a duplicate is recognised. */
  retentionMs?: number;
}

interface Round {
  group: AlertGroup;
  messages: OutboxMessage<AlertOutboxPayload>[];
}

const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Delivers alert notifications from the outbox to Discord, one message per alert group:
 * folds every claimed notification into its group, then posts or edits each touched group's
 * message once, from the database. A 429 is waited out by the REST client; a 5xx, a network
 * error or a timeout puts the notifications back with a growing delay; a refusal (4xx) fails
 * them for good, kept in the outbox and counted. A crash at any point leaves the notifications
 * claimable again: folding is idempotent and posts carry a nonce, so nothing is lost or doubled.
 */
export class AlertDeliveryWorker {
  readonly workerId: string;
  private readonly options: Required<Omit<AlertDeliveryOptions, 'log' | 'instanceId'>> &
    Pick<AlertDeliveryOptions, 'log'>;
  private heartbeat: NodeJS.Timeout | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private lastPrune = 0;

  constructor(
    private readonly repositories: Pick<Repositories, 'outbox' | 'alertGroups'>,
    private readonly channel: DiscordChannelRepository,
    options: AlertDeliveryOptions,
  ) {
    const { instanceId, ...rest } = options;
    this.workerId = `alerts-${(instanceId ?? randomUUID()).slice(0, 100)}`;
    this.options = {
      metrics: silentAlertMetrics,
      // A round of 25 groups takes about 25 s at Discord's 5 messages per 5 s: the heartbeat
      // keeps its claims; without one (the process died) they are free after the lease.
      batchSize: 25,
      leaseMs: 5_000,
      heartbeatMs: 1_000,
      idleMs: 1000,
      firstRetryMs: 1000,
      maxRetryMs: 60_000,
      concurrency: 4,
      retentionMs: 7 * 24 * 3_600_000,
      ...rest,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.heartbeat = setInterval(() => {
      this.repositories.outbox
        .renewClaims(this.workerId, this.options.leaseMs)
        .catch((error: unknown) =>
          this.options.log?.warn({ err: error }, 'could not renew alert delivery claims'),
        );
    }, this.options.heartbeatMs);
    this.heartbeat.unref();
    this.loop = this.takeOverOwnClaims().then(() => this.run());
  }

  /** Finishes the round in flight, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  /** What a killed process with this identity left claimed is this one's to deliver, now. */
  private async takeOverOwnClaims(): Promise<void> {
    try {
      const released = await this.repositories.outbox.releaseClaims(this.workerId);
      if (released)
        this.options.log?.info(
          { notifications: released },
          'took over the alert notifications a previous run of this instance had claimed',
        );
    } catch (error) {
      this.options.log?.warn({ err: error }, 'could not take over earlier claims');
    }
  }

  /** New work: start a round now rather than after the idle pause. */
  wake(): void {
    this.wakeUp?.();
  }

  /** One round: claims a batch and delivers it; returns how many notifications it claimed. */
  async runOnce(): Promise<number> {
    const claimed = await this.repositories.outbox.claim<AlertOutboxPayload>({
      workerId: this.workerId,
      limit: this.options.batchSize,
      leaseMs: this.options.leaseMs,
      topic: ALERT_TOPIC,
    });
    if (!claimed.length) return 0;
    const rounds = new Map<number, Round>();
    for (const message of claimed) {
      try {
        const group = await this.groupOf(message.payload);
        if (!group) {
          await this.fail([message], 'the alert group no longer exists');
          continue;
        }
        const round = rounds.get(group.id) ?? { group, messages: [] };
        round.messages.push(message);
        rounds.set(group.id, round);
      } catch (error) {
        await this.retry([message], `could not fold: ${(error as Error).message}`);
      }
    }
    const queue = [...rounds.values()];
    const workers = Array.from({ length: this.options.concurrency }, async () => {
      for (let round = queue.shift(); round; round = queue.shift()) await this.deliver(round);
    });
    await Promise.all(workers);
    return claimed.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
        await this.pruneNow();
      } catch (error) {
        this.options.log?.error({ err: error }, 'alert delivery round failed');
      }
      if (claimed === 0 && this.running) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.options.idleMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async groupOf(payload: AlertOutboxPayload): Promise<AlertGroup | null> {
    if (payload.type === 'notification')
      return (await this.repositories.alertGroups.apply(payload.notification)).group;
    return this.repositories.alertGroups.get(payload.groupId);
  }

  private async deliver(round: Round): Promise<void> {
    try {
      // Fresh: another worker may have folded more into the group since this round's fold.
      const group = (await this.repositories.alertGroups.get(round.group.id)) ?? round.group;
      if (group.renderedRevision < group.revision) await this.render(group);
      for (const message of round.messages)
        await this.repositories.outbox.complete(message.id, this.workerId);
      this.options.metrics.delivery('delivered', round.messages.length);
    } catch (error) {
      const failure = classifyDiscordFailure(error);
      if (failure.kind === 'permanent') await this.fail(round.messages, failure.message);
      else await this.retry(round.messages, failure.message);
    }
  }

  private async render(group: AlertGroup): Promise<void> {
    const message = renderAlertGroupMessage(this.viewOf(group));
    const { channelId } = this.options;
    const episode = group.state.episode;
    let reposting = false;
    if (group.messageId && group.channelId && group.messageEpisode === episode) {
      try {
        this.options.metrics.discord('edit');
        await this.channel.editMessage(group.channelId, group.messageId, message);
        await this.repositories.alertGroups.recordMessage(group.id, {
          episode,
          revision: group.revision,
          channelId: group.channelId,
          messageId: group.messageId,
        });
        return;
      } catch (error) {
        // Someone deleted the message: post it again rather than lose the update.
        if (classifyDiscordFailure(error).kind !== 'gone') throw error;
        reposting = true;
      }
    }
    // The same for every attempt at an episode's first post (or repost), so a retry cannot double
    // it; random and stored, so no other instance or database on this bot token sends it.
    const nonce = await this.repositories.alertGroups.postNonce(
      group.id,
      `e${episode}${reposting ? `r${group.revision}` : ''}`,
    );
    this.options.metrics.discord('post');
    const posted = await this.channel.postMessage(channelId, message, { nonce });
    await this.repositories.alertGroups.recordMessage(group.id, {
      episode,
      revision: group.revision,
      channelId,
      messageId: posted.id,
    });
  }

  private viewOf(group: AlertGroup): AlertGroupView {
    const { service, environment } = group.state.commonLabels;
    const known =
      service &&
      environment &&
      this.options.catalog.services.some((s) => s.name === service) &&
      this.options.catalog.environments.some((e) => e.name === environment);
    return {
      id: group.id,
      state: group.state,
      silence: group.silence,
      redeploy: known ? { service, environment } : null,
    };
  }

  private async retry(messages: OutboxMessage[], error: string): Promise<void> {
    for (const message of messages) {
      // Jittered, so messages that failed together do not come back together.
      const delay = backoffDelay(
        message.attempts - 1,
        this.options.firstRetryMs,
        this.options.maxRetryMs,
      );
      await this.repositories.outbox.retry(message.id, this.workerId, error, delay);
    }
    this.options.metrics.delivery('retried', messages.length);
    this.options.log?.warn(
      { notifications: messages.length, error },
      'alert delivery failed; will retry',
    );
  }

  private async fail(messages: OutboxMessage[], error: string): Promise<void> {
    for (const message of messages)
      await this.repositories.outbox.fail(message.id, this.workerId, error);
    this.options.metrics.delivery('failed', messages.length);
    this.options.log?.error(
      { notifications: messages.length, error },
      'alert delivery refused by Discord; kept as failed in the outbox',
    );
  }

  private async pruneNow(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    await this.repositories.outbox.prune(ALERT_TOPIC, now - this.options.retentionMs);
  }
}
