import { createHash, randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import {
  AlertGroupState,
  AlertmanagerNotification,
  foldNotification,
  type FoldResult,
} from '@chatops/domain';
import { Clock, systemClock } from '@chatops/domain';
import type { AlertGroupsTable, Database } from '../schema';

export interface AlertGroupSilence {
  id: string;
  until: number;
  by: string;
}

export interface AlertGroup {
  id: number;
  receiver: string;
  groupKey: string;
  state: AlertGroupState;
  revision: number;
  /** The revision the Discord message shows. */
  renderedRevision: number;
  channelId: string | null;
  messageId: string | null;
  /** The episode `messageId` shows. */
  messageEpisode: number | null;
  silence: AlertGroupSilence | null;
  updatedAt: number;
  /** The episode whose place is decided: its own message, or `digestId`'s page. */
  placementEpisode: number | null;
  digestId: number | null;
  /** The episode whose on-call ping went out. */
  pingedEpisode: number | null;
  /** The episode whose resolve was told in its message's thread. */
  resolveNotedEpisode: number | null;
}

/** What a recorded render also settled: the ping it carried, or that it showed the resolve. */
export interface RenderNotes {
  pinged?: boolean;
  resolveNoted?: boolean;
}

export interface AppliedNotification extends Omit<FoldResult, 'state'> {
  group: AlertGroup;
}

const FOLD_ATTEMPTS = 10;

export function alertGroupHash(receiver: string, groupKey: string): string {
  return createHash('sha256').update(`${receiver}\n${groupKey}`).digest('hex');
}

/**
 * Alert groups and the Discord message each one has. Notifications are folded in with a
 * compare-and-swap on `revision`, so two workers (or replicas) folding into one group never
 * lose each other's alerts, on SQLite and PostgreSQL alike.
 */
export class AlertGroupRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async apply(notification: AlertmanagerNotification): Promise<AppliedNotification> {
    const hash = alertGroupHash(notification.receiver, notification.groupKey);
    for (let attempt = 0; attempt < FOLD_ATTEMPTS; attempt++) {
      const now = this.clock.now();
      const row = await this.db
        .selectFrom('alert_groups')
        .selectAll()
        .where('group_hash', '=', hash)
        .executeTakeFirst();
      const previous = row ? (JSON.parse(row.state) as AlertGroupState) : null;
      const { state, changed, newEpisode } = foldNotification(previous, notification, now);
      if (!row) {
        const inserted = await this.db
          .insertInto('alert_groups')
          .values({
            group_hash: hash,
            receiver: notification.receiver,
            group_key: notification.groupKey,
            state: JSON.stringify(state),
            revision: 1,
            rendered_revision: 0,
            channel_id: null,
            message_id: null,
            message_episode: null,
            silence_id: null,
            silenced_until: null,
            silenced_by: null,
            created_at: now,
            updated_at: now,
            post_nonce: null,
            post_nonce_for: null,
            placement_episode: null,
            digest_id: null,
            pinged_episode: null,
            resolve_noted_episode: null,
          })
          .onConflict((oc) => oc.column('group_hash').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted) return { group: toGroup(inserted), changed, newEpisode };
        continue;
      }
      if (!changed) return { group: toGroup(row), changed, newEpisode };
      const updated = await this.db
        .updateTable('alert_groups')
        .set({
          state: JSON.stringify(state),
          revision: row.revision + 1,
          updated_at: now,
          // A new episode is a new incident: an earlier silence does not carry over to its message.
          ...(newEpisode ? { silence_id: null, silenced_until: null, silenced_by: null } : {}),
        })
        .where('id', '=', row.id)
        .where('revision', '=', row.revision)
        .returningAll()
        .executeTakeFirst();
      if (updated) return { group: toGroup(updated), changed, newEpisode };
    }
    throw new Error(`alert group ${notification.groupKey}: too many concurrent updates`);
  }

  async get(id: number): Promise<AlertGroup | null> {
    const row = await this.db
      .selectFrom('alert_groups')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toGroup(row) : null;
  }

  /**
   * Remembers the message showing `episode` at `revision`, unless a message for a later episode
   * exists (a slow worker cannot point the group back at an older message).
   */
  async recordMessage(
    id: number,
    rendered: { episode: number; revision: number; channelId: string; messageId: string },
    notes: RenderNotes = {},
  ): Promise<void> {
    await this.db
      .updateTable('alert_groups')
      .set((eb) => ({
        channel_id: rendered.channelId,
        message_id: rendered.messageId,
        message_episode: rendered.episode,
        rendered_revision: eb
          .case()
          .when('rendered_revision', '<', rendered.revision)
          .then(rendered.revision)
          .else(eb.ref('rendered_revision'))
          .end(),
        ...(notes.pinged ? { pinged_episode: rendered.episode } : {}),
        ...(notes.resolveNoted ? { resolve_noted_episode: rendered.episode } : {}),
        updated_at: this.clock.now(),
      }))
      .where('id', '=', id)
      .where((eb) =>
        eb.or([eb('message_episode', 'is', null), eb('message_episode', '<=', rendered.episode)]),
      )
      .execute();
  }

  /**
   * Decides, once per episode, where the group is shown: its own message (`digestId` null) or a
   * digest page. The first decision stands; returns the group as decided (by this call or an
   * earlier one), or null if it no longer exists.
   */
  async place(id: number, episode: number, digestId: number | null): Promise<AlertGroup | null> {
    await this.db
      .updateTable('alert_groups')
      .set({ placement_episode: episode, digest_id: digestId, updated_at: this.clock.now() })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([eb('placement_episode', 'is', null), eb('placement_episode', '<', episode)]),
      )
      .execute();
    return this.get(id);
  }

  /** The groups a digest page shows, in the order they joined it. */
  async onDigest(digestId: number): Promise<AlertGroup[]> {
    const rows = await this.db
      .selectFrom('alert_groups')
      .selectAll()
      .where('digest_id', '=', digestId)
      .orderBy('id')
      .execute();
    return rows.map(toGroup).filter((g) => g.placementEpisode === g.state.episode);
  }

  /** A digest page showed the group at `revision` (never moves back). */
  async recordRendered(id: number, revision: number, notes: RenderNotes = {}): Promise<void> {
    await this.db
      .updateTable('alert_groups')
      .set((eb) => ({
        rendered_revision: eb
          .case()
          .when('rendered_revision', '<', revision)
          .then(revision)
          .else(eb.ref('rendered_revision'))
          .end(),
        ...(notes.pinged ? { pinged_episode: eb.ref('placement_episode') } : {}),
        updated_at: this.clock.now(),
      }))
      .where('id', '=', id)
      .execute();
  }

  /** A reply in the message's thread told the episode's ping or resolve. */
  async recordNotice(id: number, episode: number, notice: keyof RenderNotes): Promise<void> {
    await this.db
      .updateTable('alert_groups')
      .set(notice === 'pinged' ? { pinged_episode: episode } : { resolve_noted_episode: episode })
      .where('id', '=', id)
      .execute();
  }

  /**
   * The nonce for the post `postKey` names (an episode's first post, or a repost): random, made
   * once and stored before the POST, so every attempt at that post (a retry, another worker, a
   * restarted process) sends the same one, and no other database's group can send it.
   */
  async postNonce(id: number, postKey: string): Promise<string> {
    await this.db
      .updateTable('alert_groups')
      .set({ post_nonce: randomBytes(12).toString('hex'), post_nonce_for: postKey })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('post_nonce_for', 'is', null), eb('post_nonce_for', '!=', postKey)]))
      .execute();
    const row = await this.db
      .selectFrom('alert_groups')
      .select(['post_nonce', 'post_nonce_for'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    if (!row.post_nonce || row.post_nonce_for !== postKey)
      throw new Error(`alert group ${id}: its post nonce moved on to ${row.post_nonce_for}`);
    return row.post_nonce;
  }

  /** A silence changes what the message shows: it bumps the revision. */
  async recordSilence(id: number, silence: AlertGroupSilence | null): Promise<void> {
    await this.db
      .updateTable('alert_groups')
      .set((eb) => ({
        silence_id: silence?.id ?? null,
        silenced_until: silence?.until ?? null,
        silenced_by: silence?.by ?? null,
        revision: eb('revision', '+', 1),
        updated_at: this.clock.now(),
      }))
      .where('id', '=', id)
      .execute();
  }

  /** The groups whose message shows this silence. */
  async findBySilence(silenceId: string): Promise<AlertGroup[]> {
    const rows = await this.db
      .selectFrom('alert_groups')
      .selectAll()
      .where('silence_id', '=', silenceId)
      .execute();
    return rows.map(toGroup);
  }
}

function toGroup(row: Selectable<AlertGroupsTable>): AlertGroup {
  return {
    id: Number(row.id),
    receiver: row.receiver,
    groupKey: row.group_key,
    state: JSON.parse(row.state) as AlertGroupState,
    revision: row.revision,
    renderedRevision: row.rendered_revision,
    channelId: row.channel_id,
    messageId: row.message_id,
    messageEpisode: row.message_episode,
    silence:
      row.silence_id && row.silenced_until !== null
        ? { id: row.silence_id, until: Number(row.silenced_until), by: row.silenced_by ?? '' }
        : null,
    updatedAt: Number(row.updated_at),
    placementEpisode: row.placement_episode,
    digestId: row.digest_id === null ? null : Number(row.digest_id),
    pingedEpisode: row.pinged_episode,
    resolveNotedEpisode: row.resolve_noted_episode,
  };
}
