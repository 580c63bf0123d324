export * from './webhook-events';
export * from './webhook-signature';
export * from './github.repository';
export * from './octokit-github.repository';
export * from './run-name';
