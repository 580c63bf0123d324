export * from './catalog-loader';
export * from './config-error';
export * from './env';
export * from './run-or-exit';
