export * from './deployment-message';
export * from './limits';
export * from './fleet-status';
