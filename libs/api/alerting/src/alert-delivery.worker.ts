import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  classifyDiscordFailure,
  type DiscordChannelRepository,
  type PostOptions,
} from '@chatops/discord-channel';
import { backoffDelay } from '@chatops/discord-rest';
import {
  alertGroupName,
  DIGEST_PAGE_SIZE,
  renderAlertDigest,
  renderAlertGroupMessage,
  renderDigestResolvedNotice,
  renderPingNotice,
  renderResolvedNotice,
  type AlertGroupView,
  type RenderedMessage,
} from '@chatops/discord-ui';
import {
  catalogTarget,
  routeAlertGroup,
  type AlertDeployContext,
  type AlertGroupState,
  type Catalog,
} from '@chatops/domain';
import type { AlertGroup, OutboxMessage, Repositories } from '@chatops/persistence';
import { silentAlertMetrics, type AlertMetrics } from './alert-metrics';
import { ALERT_TOPIC, type AlertOutboxPayload } from './topic';

/** Finds the deployment an alert group fired after (see AlertCorrelator in deployments). */
export interface DeployCorrelation {
  correlate(state: AlertGroupState): Promise<AlertDeployContext | null>;
}

export interface AlertDeliveryOptions {
  /** The channel alert messages go to when no route of the catalog's `alerts` takes them. */
  channelId: string;
  /** Services and environments (for Redeploy), and `alerts`: routes, on-call role, storm threshold. */
  catalog: Catalog;
  /**
   * How long a storm lasts after its digest last took a group: new groups for that channel join
   * a digest meanwhile, and get messages of their own after.
   */
  stormHoldMs?: number;
  metrics?: AlertMetrics;
  log?: Pick<Logger, 'info' | 'warn' | 'error'>;
  /**
   * Shows the deployment a group fired after, with a Roll back button. Its failure leaves the
   * message without it (logged) rather than holding the alert back. Default: none.
   */
  correlation?: DeployCorrelation;
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
  /** How long a worker woken from idle lets a burst gather before its round (default 250). */
  gatherMs?: number;
  /** Retry delays double from `firstRetryMs` up to `maxRetryMs`. */
  firstRetryMs?: number;
  maxRetryMs?: number;
  /**
   * While Discord fails, one waiting notification is tried again on its own schedule (doubling
   * from `firstProbeMs` up to `maxProbeMs`); the first success makes every waiting one due at
   * once, so recovery is not held back by the longest retry delay.
   */
  firstProbeMs?: number;
  maxProbeMs?: number;
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
  private readonly options: Required<
    Omit<AlertDeliveryOptions, 'log' | 'instanceId' | 'correlation'>
  > &
    Pick<AlertDeliveryOptions, 'log' | 'correlation'>;
  private heartbeat: NodeJS.Timeout | null = null;
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private lastPrune = 0;
  /** Since Discord last failed a delivery, until one succeeds: how many probes went out. */
  private outage: { probes: number; timer: NodeJS.Timeout | null } | null = null;

  constructor(
    private readonly repositories: Pick<Repositories, 'outbox' | 'alertGroups' | 'alertDigests'>,
    private readonly channel: DiscordChannelRepository,
    options: AlertDeliveryOptions,
  ) {
    const { instanceId, ...rest } = options;
    this.workerId = `alerts-${(instanceId ?? randomUUID()).slice(0, 100)}`;
    this.options = {
      metrics: silentAlertMetrics,
      // A round can take minutes at Discord's 5 messages per 5 s (edits of groups with their
      // own messages): the heartbeat keeps its claims; without one (the process died) they are
      // free after the lease.
      batchSize: 100,
      stormHoldMs: 60_000,
      leaseMs: 5_000,
      heartbeatMs: 1_000,
      idleMs: 1000,
      gatherMs: 250,
      firstRetryMs: 1000,
      maxRetryMs: 60_000,
      firstProbeMs: 500,
      maxProbeMs: 5_000,
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
    if (this.outage?.timer) clearTimeout(this.outage.timer);
    this.outage = null;
  }

  /** A delivery failed for a reason that may pass: probe until one goes through. */
  private troubled(): void {
    if (this.outage) return;
    this.outage = { probes: 0, timer: null };
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    const outage = this.outage;
    if (!outage || !this.running) return;
    const delay = backoffDelay(outage.probes++, this.options.firstProbeMs, this.options.maxProbeMs);
    outage.timer = setTimeout(() => {
      this.repositories.outbox
        .expedite(ALERT_TOPIC, 1)
        .then(() => this.wake())
        .catch((error: unknown) => this.options.log?.warn({ err: error }, 'could not probe'))
        .finally(() => {
          if (this.outage === outage) this.scheduleProbe();
        });
    }, delay);
    outage.timer.unref();
  }

  /** Discord took a delivery again: everything waiting for a retry is due now. */
  private async recovered(): Promise<void> {
    const outage = this.outage;
    if (!outage) return;
    this.outage = null;
    if (outage.timer) clearTimeout(outage.timer);
    const due = await this.repositories.outbox.expedite(ALERT_TOPIC);
    this.options.log?.info(
      { notifications: due, probes: outage.probes },
      'Discord takes alert deliveries again; retrying the waiting ones now',
    );
    this.wake();
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
      // A round must be able to see a storm: more groups than the threshold at once.
      limit: Math.max(this.options.batchSize, 2 * this.options.catalog.alerts.stormThreshold),
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
    // Notifications still in the outbox (not yet claimed, claimed by another replica, waiting
    // for a retry) wait too: with this round's new groups they make the storm.
    const pending = await this.repositories.outbox
      .backlog()
      .then((all) => all.find((b) => b.topic === ALERT_TOPIC)?.pending ?? 0)
      .catch(() => 0);
    await this.place([...rounds.values()], Math.max(0, pending - claimed.length));
    const pages = new Map<number, Round[]>();
    const tasks: (() => Promise<void>)[] = [];
    for (const round of rounds.values()) {
      const digestId = digestOf(round.group);
      if (digestId === null) tasks.push(() => this.deliver(round));
      else pages.set(digestId, [...(pages.get(digestId) ?? []), round]);
    }
    for (const [digestId, onPage] of pages) tasks.push(() => this.deliverPage(digestId, onPage));
    const workers = Array.from({ length: this.options.concurrency }, async () => {
      for (let task = tasks.shift(); task; task = tasks.shift()) await task();
    });
    await Promise.all(workers);
    return claimed.length;
  }

  /**
   * Decides where each group's episode is shown, once: when more than the storm threshold of
   * groups wait for their first message in one channel, counting its share of the notifications
   * still waiting in the outbox (`alsoWaiting`: their channel is unknown until they are read, so
   * each channel counts them in proportion to this round's groups for it), or that channel's
   * storm goes on, they join digest pages; otherwise each gets its own message. A lone critical
   * routed to #incidents is not folded into a digest by a storm in #ops.
   */
  private async place(rounds: Round[], alsoWaiting: number): Promise<void> {
    const waiting = new Map<string, Round[]>();
    for (const round of rounds) {
      const { group } = round;
      if (group.placementEpisode === group.state.episode) continue;
      const { channelId } = this.routeOf(group);
      waiting.set(channelId, [...(waiting.get(channelId) ?? []), round]);
    }
    const { stormHoldMs } = this.options;
    const threshold = this.options.catalog.alerts.stormThreshold;
    const undecidedInAll = [...waiting.values()].reduce((sum, r) => sum + r.length, 0);
    for (const [channelId, undecided] of waiting) {
      try {
        const share = (alsoWaiting * undecided.length) / undecidedInAll;
        const storm =
          undecided.length + share > threshold ||
          (await this.repositories.alertDigests.stormGoesOn(channelId, stormHoldMs));
        for (const round of undecided) {
          const digestId = storm
            ? ((await this.repositories.alertDigests.takeSlot(
                channelId,
                stormHoldMs,
                DIGEST_PAGE_SIZE,
              )) ?? (await this.repositories.alertDigests.open(channelId)))
            : null;
          const placed = await this.repositories.alertGroups.place(
            round.group.id,
            round.group.state.episode,
            digestId,
          );
          if (placed) round.group = placed;
        }
        if (storm)
          this.options.log?.info(
            { channelId, groups: undecided.length },
            'alert storm: groups go to a digest',
          );
      } catch (error) {
        // Undecided, they are placed on the next attempt.
        this.options.log?.warn({ err: error, channelId }, 'could not place alert groups');
      }
    }
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
        clearTimeout(timer);
        // Woken by new work after a quiet spell: let the rest of a burst arrive, so the first
        // round sees a storm whole instead of posting its first groups one by one.
        if (this.running) setTimeout(resolve, this.options.gatherMs);
        else resolve();
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
      let group = (await this.repositories.alertGroups.get(round.group.id)) ?? round.group;
      if (group.placementEpisode !== group.state.episode)
        group =
          (await this.repositories.alertGroups.place(group.id, group.state.episode, null)) ?? group;
      const digestId = digestOf(group);
      // Another worker put this episode in a digest: that page shows it.
      if (digestId !== null) return await this.deliverPage(digestId, [round]);
      const rendered = group.renderedRevision < group.revision;
      if (rendered) await this.render(group);
      const told = await this.tellInThread(
        (await this.repositories.alertGroups.get(group.id)) ?? group,
      );
      await this.complete(round.messages);
      if (rendered || told) await this.recovered();
    } catch (error) {
      await this.giveBack(round.messages, error);
    }
  }

  private async complete(messages: OutboxMessage[]): Promise<void> {
    for (const message of messages)
      await this.repositories.outbox.complete(message.id, this.workerId);
    this.options.metrics.delivery('delivered', messages.length);
  }

  private async giveBack(messages: OutboxMessage[], error: unknown): Promise<void> {
    const failure = classifyDiscordFailure(error);
    if (failure.kind === 'permanent') return this.fail(messages, failure.message);
    await this.retry(messages, failure.message);
    this.troubled();
  }

  private async render(group: AlertGroup): Promise<void> {
    const view = await this.viewOf(group);
    const message = renderAlertGroupMessage(view);
    const mentionRoles = view.mention ? [view.mention] : [];
    const { channelId } = this.routeOf(group);
    const episode = group.state.episode;
    let reposting = false;
    if (group.messageId && group.channelId && group.messageEpisode === episode) {
      try {
        this.options.metrics.discord('edit');
        await this.channel.editMessage(group.channelId, group.messageId, message, {
          mentionRoles,
        });
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
    const posted = await this.channel.postMessage(channelId, message, { nonce, mentionRoles });
    await this.repositories.alertGroups.recordMessage(
      group.id,
      { episode, revision: group.revision, channelId, messageId: posted.id },
      // A first post that is already resolved says so itself: no reply needed.
      { pinged: mentionRoles.length > 0, resolveNoted: group.state.status === 'resolved' },
    );
  }

  /**
   * What an edit cannot tell (edits notify nobody), told as a reply in the message's thread: the
   * on-call ping for a group that turned critical after its post, and the resolve.
   */
  private async tellInThread(group: AlertGroup): Promise<boolean> {
    const episode = group.state.episode;
    if (!group.messageId || !group.channelId || group.messageEpisode !== episode) return false;
    const view = this.baseViewOf(group);
    const notices: {
      kind: 'pinged' | 'resolveNoted';
      message: RenderedMessage;
      roles: string[];
    }[] = [];
    if (view.mention && (group.pingedEpisode ?? 0) < episode)
      notices.push({
        kind: 'pinged',
        message: renderPingNotice(view.mention, [view]),
        roles: [view.mention],
      });
    if (group.state.status === 'resolved' && (group.resolveNotedEpisode ?? 0) < episode)
      notices.push({ kind: 'resolveNoted', message: renderResolvedNotice(view), roles: [] });
    for (const notice of notices) {
      const nonce = await this.repositories.alertGroups.postNonce(
        group.id,
        `${notice.kind === 'pinged' ? 'p' : 'r'}${episode}`,
      );
      await this.replyInThread(
        { channelId: group.channelId, messageId: group.messageId },
        alertGroupName(group.state),
        notice.message,
        { nonce, mentionRoles: notice.roles },
      );
      await this.repositories.alertGroups.recordNotice(group.id, episode, notice.kind);
    }
    return notices.length > 0;
  }

  /**
   * Posts a reply in the message's thread (started if it has none). A failure that may pass
   * throws (the notification is retried); a deleted message or a refusal (say, no permission to
   * use threads) is logged and given up: the message itself is shown, and a reply must not hold
   * the group's notifications back or fail them.
   */
  private async replyInThread(
    on: { channelId: string; messageId: string },
    threadName: string,
    message: RenderedMessage,
    options: PostOptions,
  ): Promise<void> {
    try {
      const thread = await this.channel.startThread(on.channelId, on.messageId, threadName);
      this.options.metrics.discord('post');
      await this.channel.postMessage(thread.id, message, options);
    } catch (error) {
      const failure = classifyDiscordFailure(error);
      if (failure.kind === 'transient') throw error;
      this.options.log?.error(
        { channelId: on.channelId, messageId: on.messageId, error: failure.message },
        'could not reply in the alert message thread; given up',
      );
    }
  }

  /**
   * Renders a storm digest page from the database (every group on it, whoever folded them) and
   * posts or edits it; then completes the notifications of `rounds`. Rendered again while a group
   * on it changed during the edit, so the page never rests on an older view.
   */
  private async deliverPage(digestId: number, rounds: Round[]): Promise<void> {
    const messages = rounds.flatMap((r) => r.messages);
    let called = false;
    try {
      const role = this.options.catalog.alerts.onCall?.role ?? null;
      for (let pass = 0; pass < 3; pass++) {
        const page = await this.repositories.alertDigests.get(digestId);
        if (!page) throw new Error(`digest page ${digestId} no longer exists`);
        const groups = await this.repositories.alertGroups.onDigest(digestId);
        if (page.messageId && groups.every((g) => g.renderedRevision >= g.revision)) break;
        const views = await Promise.all(groups.map((g) => this.viewOf(g)));
        const paging = new Set(views.filter((v) => v.mention).map((v) => v.id));
        const mentionRoles = role && paging.size ? [role] : [];
        const message = renderAlertDigest({ groups: views, mention: mentionRoles[0] ?? null });
        let posted = false;
        let nonce: string | null = page.messageId ? null : page.postNonce;
        if (page.messageId) {
          try {
            this.options.metrics.discord('edit');
            await this.channel.editMessage(page.channelId, page.messageId, message, {
              mentionRoles,
            });
            called = true;
          } catch (error) {
            // Someone deleted the page: post it again (a new nonce: the old one named the
            // deleted message) rather than lose its groups.
            if (classifyDiscordFailure(error).kind !== 'gone') throw error;
            await this.repositories.alertDigests.forgetMessage(digestId);
            nonce = (await this.repositories.alertDigests.get(digestId))?.postNonce ?? null;
            if (!nonce) throw new Error(`digest page ${digestId} no longer exists`);
          }
        }
        if (nonce) {
          this.options.metrics.discord('post');
          const { id } = await this.channel.postMessage(page.channelId, message, {
            nonce,
            mentionRoles,
          });
          await this.repositories.alertDigests.recordMessage(digestId, id);
          posted = called = true;
          if (groups.every((g) => g.state.status === 'resolved'))
            await this.repositories.alertDigests.recordResolveNoted(digestId);
        }
        for (const group of groups)
          await this.repositories.alertGroups.recordRendered(group.id, group.revision, {
            pinged: posted && paging.has(group.id),
          });
      }
      if (await this.tellPageInThread(digestId, role)) called = true;
      await this.complete(messages);
      if (called) await this.recovered();
    } catch (error) {
      await this.giveBack(messages, error);
    }
  }

  /** A page's replies: the ping for paging groups that joined after its post, and the all-clear. */
  private async tellPageInThread(digestId: number, role: string | null): Promise<boolean> {
    const page = await this.repositories.alertDigests.get(digestId);
    if (!page?.messageId) return false;
    const groups = await this.repositories.alertGroups.onDigest(digestId);
    const views = new Map(groups.map((g) => [g.id, this.baseViewOf(g)]));
    const unpinged = groups.filter(
      (g) => views.get(g.id)?.mention && (g.pingedEpisode ?? 0) < g.state.episode,
    );
    const allResolved = groups.length > 0 && groups.every((g) => g.state.status === 'resolved');
    if (!(role && unpinged.length) && !(allResolved && !page.resolveNoted)) return false;
    const on = { channelId: page.channelId, messageId: page.messageId };
    // Derived from the page's random nonce: the same for every attempt at this reply.
    const nonceOf = (what: string) =>
      createHash('sha256').update(`${page.postNonce}:${what}`).digest('hex').slice(0, 25);
    if (role && unpinged.length) {
      const ids = unpinged.map((g) => `${g.id}.${g.state.episode}`).join(',');
      await this.replyInThread(
        on,
        'Alert storm',
        renderPingNotice(
          role,
          unpinged.map((g) => views.get(g.id) as AlertGroupView),
        ),
        { nonce: nonceOf(`p:${ids}`), mentionRoles: [role] },
      );
      for (const group of unpinged)
        await this.repositories.alertGroups.recordNotice(group.id, group.state.episode, 'pinged');
    }
    if (allResolved && !page.resolveNoted) {
      await this.replyInThread(on, 'Alert storm', renderDigestResolvedNotice(groups.length), {
        nonce: nonceOf('resolved'),
      });
      await this.repositories.alertDigests.recordResolveNoted(digestId);
    }
    return true;
  }

  private routeOf(group: AlertGroup) {
    return routeAlertGroup(this.options.catalog.alerts, group.state, this.options.channelId);
  }

  /** What a message shows of a group, and the deployment it fired after. */
  private async viewOf(group: AlertGroup): Promise<AlertGroupView> {
    return { ...this.baseViewOf(group), deploy: await this.deployOf(group) };
  }

  /** The same without the deployment: enough for the replies in a thread. */
  private baseViewOf(group: AlertGroup): AlertGroupView {
    return {
      id: group.id,
      state: group.state,
      silence: group.silence,
      redeploy: catalogTarget(this.options.catalog, group.state),
      mention: this.routeOf(group).mentionRole,
    };
  }

  private async deployOf(group: AlertGroup): Promise<AlertDeployContext | null> {
    if (!this.options.correlation) return null;
    try {
      return await this.options.correlation.correlate(group.state);
    } catch (error) {
      this.options.log?.warn(
        { err: error, groupId: group.id },
        'could not tell which deployment the alert followed; shown without it',
      );
      return null;
    }
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

/** The digest page showing the group's current episode; null: its own message (or undecided). */
function digestOf(group: AlertGroup): number | null {
  return group.placementEpisode === group.state.episode ? group.digestId : null;
}
