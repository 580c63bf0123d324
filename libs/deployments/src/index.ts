export * from './deployment-poller';
export * from './deployment-request';
export * from './deployment-tracker';
export * from './deployment.service';
export * from './discord-progress-notifier';
export * from './github-webhook-intake';
export * from './notifier';
export * from './ref-suggestions';
