export * from './alert-actions.service';
export * from './alert-delivery.worker';
export * from './alert-intake';
export * from './alert-metrics';
export * from './notification';
export * from './topic';
export * from './watchdog';
