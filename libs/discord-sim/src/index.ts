export * from './errors';
export * from './interaction';
export * from './limits';
export * from './rate-limits';
export * from './render';
export * from './simulator';
export * from './console-text';
