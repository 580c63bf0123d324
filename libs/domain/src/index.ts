export * from './audit';
export * from './catalog';
export * from './deployment';
export * from './git-ref';
export * from './names';
export * from './permissions';
export * from './image-version';
export * from './fleet-status';
