export * from './command';
export * from './commands';
export * from './dispatcher';
export * from './registration';
export * from './registry';

import { ALL_COMMANDS } from './commands';
import { CommandRegistry } from './registry';

export function createCommandRegistry(): CommandRegistry {
  return new CommandRegistry(ALL_COMMANDS);
}
