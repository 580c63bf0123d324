import {
  ColumnDefinitionBuilder,
  Kysely,
  Migration,
  MigrationProvider,
  Migrator,
  sql,
} from 'kysely';
import type { Dialect } from './database';

/**
 * Migrations in code (bundled with the apps, no files to ship). Names sort in order; never edit
 * one that has shipped: add the next.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const idType = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = (col: ColumnDefinitionBuilder) =>
    dialect === 'postgres'
      ? col.primaryKey().generatedAlwaysAsIdentity()
      : col.primaryKey().autoIncrement();
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('audit_events')
          .addColumn('id', idType, id)
          .addColumn('occurred_at', 'bigint', (c) => c.notNull())
          .addColumn('actor_id', 'text', (c) => c.notNull())
          .addColumn('actor_name', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('service', 'text')
          .addColumn('environment', 'text')
          .addColumn('source', 'text')
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('audit_events_scope_idx')
          .on('audit_events')
          .columns(['environment', 'service', 'occurred_at'])
          .execute();
        await appendOnly(db, dialect, 'audit_events');

        await db.schema
          .createTable('deployments')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('request_id', 'text', (c) => c.notNull().unique())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('service', 'text', (c) => c.notNull())
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('ref', 'text', (c) => c.notNull())
          .addColumn('version', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('requested_by_id', 'text', (c) => c.notNull())
          .addColumn('requested_by_name', 'text', (c) => c.notNull())
          .addColumn('approved_by_id', 'text')
          .addColumn('run_id', 'text')
          .addColumn('run_url', 'text')
          .addColumn('channel_id', 'text')
          .addColumn('message_id', 'text')
          .addColumn('error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint')
          .execute();
        await db.schema
          .createIndex('deployments_scope_idx')
          .on('deployments')
          .columns(['environment', 'service', 'created_at'])
          .execute();
        await db.schema
          .createIndex('deployments_status_idx')
          .on('deployments')
          .column('status')
          .execute();
        await db.schema
          .createIndex('deployments_run_idx')
          .on('deployments')
          .column('run_id')
          .execute();

        await db.schema
          .createTable('environment_locks')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('service', 'text', (c) => c.notNull())
          .addColumn('holder_id', 'text', (c) => c.notNull())
          .addColumn('holder_name', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('acquired_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('environment_locks_pk', ['environment', 'service'])
          .execute();

        await db.schema
          .createTable('outbox')
          .addColumn('id', idType, id)
          .addColumn('topic', 'text', (c) => c.notNull())
          .addColumn('dedupe_key', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
          .addColumn('locked_by', 'text')
          .addColumn('locked_until', 'bigint')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('outbox_dedupe_uq', ['topic', 'dedupe_key'])
          .execute();
        await db.schema
          .createIndex('outbox_due_idx')
          .on('outbox')
          .columns(['status', 'next_attempt_at'])
          .execute();
      },
    },
    '0002_webhook_deliveries': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('webhook_deliveries')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('delivery_id', 'text', (c) => c.notNull())
          .addColumn('event', 'text', (c) => c.notNull())
          .addColumn('received_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('webhook_deliveries_pk', ['source', 'delivery_id'])
          .execute();
      },
    },
    '0003_approvals_and_tracking': {
      async up(db: Kysely<unknown>) {
        const add = (column: string, type: 'text' | 'bigint') =>
          db.schema.alterTable('deployments').addColumn(column, type).execute();
        await add('workflow', 'text');
        await db.schema
          .alterTable('deployments')
          .addColumn('approvals_required', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await add('expires_at', 'bigint');
        await add('thread_id', 'text');
        await add('progress', 'text');
        await add('last_webhook_at', 'bigint');
        await add('polled_at', 'bigint');
        await db.schema
          .createTable('approvals')
          .addColumn('deployment_id', 'text', (c) => c.notNull())
          .addColumn('approver_id', 'text', (c) => c.notNull())
          .addColumn('approver_name', 'text', (c) => c.notNull())
          .addColumn('decided_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('approvals_pk', ['deployment_id', 'approver_id'])
          .execute();
      },
    },
    '0004_alert_groups': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('alert_groups')
          .addColumn('id', idType, id)
          .addColumn('group_hash', 'text', (c) => c.notNull().unique())
          .addColumn('receiver', 'text', (c) => c.notNull())
          .addColumn('group_key', 'text', (c) => c.notNull())
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('rendered_revision', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('channel_id', 'text')
          .addColumn('message_id', 'text')
          .addColumn('message_episode', 'integer')
          .addColumn('silence_id', 'text')
          .addColumn('silenced_until', 'bigint')
          .addColumn('silenced_by', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0005_cancel_requests_plans_and_products': {
      async up(db: Kysely<unknown>) {
        const add = (column: string, type: 'text' | 'bigint') =>
          db.schema.alterTable('deployments').addColumn(column, type).execute();
        // Who asked for a run to be cancelled (one request per deployment reaches GitHub/SSM).
        await add('cancel_requested_by_id', 'text');
        await add('cancel_requested_by_name', 'text');
        await add('cancel_requested_at', 'bigint');
        // The plan as decided at request time: dispatch sends exactly these inputs.
        await add('inputs', 'text');
        // SSM kinds: the desired version they replace (from → to).
        await add('from_version', 'text');
        // What the run produced: the commit it built and the image tag it pushed.
        await add('head_sha', 'text');
        await add('image_tag', 'text');
      },
    },
    '0006_confirmations': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('confirmations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('member_id', 'text', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('used_at', 'bigint')
          .addColumn('decision', 'text')
          .addColumn('used_by_request', 'text')
          .execute();
      },
    },
    '0007_human_locks': {
      async up(db: Kysely<unknown>) {
        // Locks people place (`/lock`), apart from the deploy leases: never reaped as stale.
        await db.schema
          .createTable('human_locks')
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('service', 'text', (c) => c.notNull())
          .addColumn('holder_id', 'text', (c) => c.notNull())
          .addColumn('holder_name', 'text', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('acquired_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
          .addPrimaryKeyConstraint('human_locks_pk', ['environment', 'service'])
          .execute();
      },
    },
    '0008_freezes': {
      async up(db: Kysely<unknown>) {
        // The change freeze in force when the request was made (why it needs an approver).
        await db.schema.alterTable('deployments').addColumn('freeze', 'text').execute();
      },
    },
    '0009_alert_post_nonces': {
      async up(db: Kysely<unknown>) {
        // A random nonce per first post (and per repost), stored before the POST: unique across
        // instances and databases sharing one bot token, the same for every retry of that post.
        await db.schema.alterTable('alert_groups').addColumn('post_nonce', 'text').execute();
        await db.schema.alterTable('alert_groups').addColumn('post_nonce_for', 'text').execute();
      },
    },
    '0010_alert_heartbeats': {
      async up(db: Kysely<unknown>) {
        // Alerts that always fire (Alertmanager's watchdog): when each last arrived, and since
        // when it is reported missing.
        await db.schema
          .createTable('alert_heartbeats')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
          .addColumn('missing_since', 'bigint')
          .execute();
      },
    },
    '0011_alert_routing_and_digests': {
      async up(db: Kysely<unknown>) {
        // Where a group's episode is shown, decided once (its own message, or a storm digest
        // page) before anything is posted, so no two workers show it twice.
        await db.schema
          .alterTable('alert_groups')
          .addColumn('placement_episode', 'integer')
          .execute();
        await db.schema.alterTable('alert_groups').addColumn('digest_id', idType).execute();
        // The episodes whose on-call ping and whose resolve reply have been posted.
        await db.schema.alterTable('alert_groups').addColumn('pinged_episode', 'integer').execute();
        await db.schema
          .alterTable('alert_groups')
          .addColumn('resolve_noted_episode', 'integer')
          .execute();
        await db.schema
          .createTable('alert_digests')
          .addColumn('id', idType, id)
          .addColumn('channel_id', 'text', (c) => c.notNull())
          .addColumn('message_id', 'text')
          .addColumn('post_nonce', 'text', (c) => c.notNull())
          .addColumn('group_count', 'integer', (c) => c.notNull())
          .addColumn('opened_at', 'bigint', (c) => c.notNull())
          .addColumn('last_added_at', 'bigint', (c) => c.notNull())
          .addColumn('resolve_noted', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema
          .createIndex('alert_digests_channel')
          .on('alert_digests')
          .columns(['channel_id', 'last_added_at'])
          .execute();
        await db.schema
          .createIndex('alert_groups_digest')
          .on('alert_groups')
          .column('digest_id')
          .execute();
      },
    },
    '0012_deployment_change_and_outputs': {
      async up(db: Kysely<unknown>) {
        // JSON: what a deploy changes (target commit, what ran, GitHub's compare), told at
        // request time so approvers see it; and what a run produced beyond its commit (an AMI id).
        await db.schema.alterTable('deployments').addColumn('change_summary', 'text').execute();
        await db.schema.alterTable('deployments').addColumn('outputs', 'text').execute();
        // A promotion: the environment whose running version it put on its own.
        await db.schema.alterTable('deployments').addColumn('promoted_from', 'text').execute();
        // An infra apply: the plan it applies (its run and summary), as its approvers saw it.
        await db.schema.alterTable('deployments').addColumn('reviewed_plan', 'text').execute();
        // When the requester was told (a reply that pings them) that it ended: once.
        await db.schema.alterTable('deployments').addColumn('end_told_at', 'bigint').execute();
        // What ended before this release is not announced again.
        await sql`UPDATE deployments SET end_told_at = finished_at WHERE finished_at IS NOT NULL`.execute(
          db,
        );
      },
    },
    '0013_deployment_image_digest': {
      async up(db: Kysely<unknown>) {
        // SSM kinds: the image its version named in ECR when requested (a promotion puts on
        // exactly what ran where it came from; an image changed since is refused at start).
        await db.schema.alterTable('deployments').addColumn('image_digest', 'text').execute();
      },
    },
    '0014_deployment_failure': {
      async up(db: Kysely<unknown>) {
        // A deployment that succeeded and was then shown to have failed (an alert that fired
        // after it, a failed bake): when, and why. The delivery metrics count it as a failure.
        await db.schema.alterTable('deployments').addColumn('failed_at', 'bigint').execute();
        await db.schema.alterTable('deployments').addColumn('failure', 'text').execute();
      },
    },
    '0015_bakes': {
      async up(db: Kysely<unknown>) {
        // The bake window of a deploy or redeploy: watched until it ends, one verdict (a
        // conditional write), then, when failed, one action (claimed, so a replica that died
        // taking it leaves it to another after the lease).
        await db.schema
          .createTable('bakes')
          .addColumn('deployment_id', 'text', (c) => c.primaryKey())
          .addColumn('service', 'text', (c) => c.notNull())
          .addColumn('environment', 'text', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('ends_at', 'bigint', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('checked_at', 'bigint')
          .addColumn('finding', 'text')
          .addColumn('found_at', 'bigint')
          .addColumn('action_claimed_at', 'bigint')
          .addColumn('action', 'text')
          .addColumn('action_detail', 'text')
          .execute();
        await db.schema.createIndex('bakes_status').on('bakes').column('status').execute();
      },
    },
  };
}

/** Audit records are evidence: the database itself refuses to change or remove them. */
async function appendOnly(db: Kysely<unknown>, dialect: Dialect, table: string): Promise<void> {
  const message = `${table} is append-only`;
  if (dialect === 'postgres') {
    await sql
      .raw(
        `CREATE FUNCTION ${table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION '${message}'; END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ${table}
         FOR EACH STATEMENT EXECUTE FUNCTION ${table}_append_only()`,
      )
      .execute(db);
    return;
  }
  for (const operation of ['UPDATE', 'DELETE']) {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_${operation.toLowerCase()} BEFORE ${operation} ON ${table}
         BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
  }
}

export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
