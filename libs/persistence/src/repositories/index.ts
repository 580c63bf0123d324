export * from './alert-group.repository';
export * from './approval.repository';
export * from './audit.repository';
export * from './confirmation.repository';
export * from './deployment.repository';
export * from './lock.repository';
export * from './outbox.repository';
export * from './webhook-delivery.repository';
