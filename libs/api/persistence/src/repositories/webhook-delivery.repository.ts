import type { Kysely } from 'kysely';
import { Clock, systemClock } from '@chatops/domain';
import type { Database } from '../schema';

/** Webhook deliveries already handled, by sender and delivery id: a redelivery has no second effect. */
export class WebhookDeliveryRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock = systemClock,
  ) {}

  async seen(source: string, deliveryId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('webhook_deliveries')
      .select('delivery_id')
      .where('source', '=', source)
      .where('delivery_id', '=', deliveryId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Records a handled delivery; false when it was recorded before. */
  async record(source: string, deliveryId: string, event: string): Promise<boolean> {
    const inserted = await this.db
      .insertInto('webhook_deliveries')
      .values({ source, delivery_id: deliveryId, event, received_at: this.clock.now() })
      .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
      .returning('delivery_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }
}
