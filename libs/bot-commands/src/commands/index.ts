import type { BotCommand } from '../command';
import { auditCommand } from './audit';
import { helpCommand } from './help';
import { pingCommand } from './ping';

/** Every slash command the bot serves: one file each in this folder, listed here once. */
export const ALL_COMMANDS: readonly BotCommand[] = [auditCommand, helpCommand, pingCommand];
