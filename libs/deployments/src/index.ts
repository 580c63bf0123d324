export * from './deployment-tracker';
export * from './github-webhook-intake';
