export * from './deployment-message';
export * from './limits';
export * from './fleet-status-message';
export * from './alert-message';
export * from './alert-lists';
export * from './alert-digest';
export * from './deployment-change';
export * from './delivery-message';
