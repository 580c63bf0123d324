export * from './command';
export * from './commands';
export * from './components';
export * from './dispatcher';
export * from './registration';
export * from './registry';

import { ALL_COMMANDS } from './commands';
import { ALL_COMPONENTS } from './components';
import { CommandRegistry } from './registry';

export function createCommandRegistry(): CommandRegistry {
  return new CommandRegistry(ALL_COMMANDS, ALL_COMPONENTS);
}
