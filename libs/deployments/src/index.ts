export * from './deployment-tracker';
