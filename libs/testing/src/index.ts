export * from './free-port';
export * from './postgres-server';
export * from './process';
export * from './promtool';
export * from './alerts';
export * from './monitoring';
export * from './production-image';
export * from './eventually';
