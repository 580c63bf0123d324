import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { BotCommand, ComponentHandler } from './command';

/** The commands the bot serves, by name; also the registration payload and the /help source. */
export class CommandRegistry {
  private readonly byName = new Map<string, BotCommand>();

  constructor(
    commands: readonly BotCommand[],
    private readonly components: readonly ComponentHandler[] = [],
  ) {
    for (const command of commands) {
      const { name } = command.data;
      if (this.byName.has(name)) throw new Error(`two commands are named /${name}`);
      this.byName.set(name, command);
    }
  }

  get(name: string): BotCommand | undefined {
    return this.byName.get(name);
  }

  /** The handler of a button or modal, by its custom_id prefix. */
  component(customId: string): ComponentHandler | undefined {
    return this.components.find((c) => customId.startsWith(c.prefix));
  }

  /** Sorted by name. */
  list(): BotCommand[] {
    return [...this.byName.values()].sort((a, b) => a.data.name.localeCompare(b.data.name));
  }

  /** The body for Discord's bulk overwrite (PUT …/commands). */
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
    return this.list().map((command) => command.data.toJSON());
  }
}
