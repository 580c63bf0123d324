export * from '@chatops/domain';
export * from './database';
export * from './migrations';
export * from './repositories';
export type { Database } from './schema';

import type { DatabaseHandle } from './database';
import { Clock, systemClock } from '@chatops/domain';
import { AlertDigestRepository } from './repositories/alert-digest.repository';
import { AlertGroupRepository } from './repositories/alert-group.repository';
import { AlertHeartbeatRepository } from './repositories/alert-heartbeat.repository';
import { ApprovalRepository } from './repositories/approval.repository';
import { AuditRepository } from './repositories/audit.repository';
import { BakeRepository } from './repositories/bake.repository';
import { ConfirmationRepository } from './repositories/confirmation.repository';
import { DeploymentRepository } from './repositories/deployment.repository';
import { HumanLockRepository } from './repositories/human-lock.repository';
import { LockRepository } from './repositories/lock.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { WebhookDeliveryRepository } from './repositories/webhook-delivery.repository';

export interface Repositories {
  alertDigests: AlertDigestRepository;
  alertGroups: AlertGroupRepository;
  alertHeartbeats: AlertHeartbeatRepository;
  approvals: ApprovalRepository;
  audit: AuditRepository;
  bakes: BakeRepository;
  confirmations: ConfirmationRepository;
  deployments: DeploymentRepository;
  humanLocks: HumanLockRepository;
  locks: LockRepository;
  outbox: OutboxRepository;
  webhookDeliveries: WebhookDeliveryRepository;
}

export function createRepositories(
  handle: DatabaseHandle,
  clock: Clock = systemClock,
): Repositories {
  return {
    alertDigests: new AlertDigestRepository(handle.db, clock),
    alertGroups: new AlertGroupRepository(handle.db, clock),
    alertHeartbeats: new AlertHeartbeatRepository(handle.db, clock),
    approvals: new ApprovalRepository(handle.db, clock),
    audit: new AuditRepository(handle.db, clock),
    bakes: new BakeRepository(handle.db, clock),
    confirmations: new ConfirmationRepository(handle.db, clock),
    deployments: new DeploymentRepository(handle.db, clock),
    humanLocks: new HumanLockRepository(handle.db, clock),
    locks: new LockRepository(handle.db, clock),
    outbox: new OutboxRepository(handle.db, handle.dialect, clock),
    webhookDeliveries: new WebhookDeliveryRepository(handle.db, clock),
  };
}
