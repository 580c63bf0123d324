export * from './deployment-message';
export * from './limits';
