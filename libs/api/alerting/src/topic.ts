import type { AlertmanagerNotification } from '@chatops/domain';

/** The outbox topic alert notifications (and re-render requests) travel through. */
export const ALERT_TOPIC = 'alerts';

export type AlertOutboxPayload =
  | { type: 'notification'; notification: AlertmanagerNotification }
  /** Something other than a notification changed what the group's message shows (a silence). */
  | { type: 'render'; groupId: number };
