import type {
  APIModalInteractionResponseCallbackData,
  APIEmbed,
  APIActionRowComponent,
  APIComponentInMessageActionRow,
  InteractionDeferReplyOptions,
  InteractionEditReplyOptions,
  InteractionReplyOptions,
  InteractionUpdateOptions,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { ApiClient } from '@chatops/api-client';
import type { Catalog, MemberRoles, Permission } from '@chatops/domain';
import type { CommandRegistry } from './registry';

/**
 * The part of discord.js's ChatInputCommandInteraction the commands use. Naming it keeps
 * handlers testable with a plain object; the real interaction satisfies it as it is.
 */
export interface ChatInteraction {
  readonly id: string;
  readonly commandName: string;
  readonly user: { readonly id: string; readonly username: string };
  readonly guildId: string | null;
  readonly channelId: string;
  readonly replied: boolean;
  readonly deferred: boolean;
  readonly options: {
    getString(name: string, required?: boolean): string | null;
    getInteger(name: string, required?: boolean): number | null;
    getUser?(name: string, required?: boolean): { id: string; username: string } | null;
  };
  reply(options: InteractionReplyOptions): Promise<unknown>;
  deferReply(options?: InteractionDeferReplyOptions): Promise<unknown>;
  editReply(options: InteractionEditReplyOptions): Promise<unknown>;
  followUp(options: InteractionReplyOptions): Promise<unknown>;
  showModal(modal: APIModalInteractionResponseCallbackData): Promise<unknown>;
}

/** What answering an interaction takes: slash commands, button presses and modal submits alike. */
export type Answerable = Pick<ChatInteraction, 'reply' | 'deferReply' | 'editReply' | 'followUp'>;

/** A button press or a modal submit, as the handlers use it. */
export interface ComponentInteraction extends Answerable {
  readonly id: string;
  readonly customId: string;
  readonly user: { readonly id: string; readonly username: string };
  readonly guildId: string | null;
  readonly channelId: string | null;
  /** Text inputs of a submitted modal. */
  readonly fields?: { getTextInputValue(customId: string): string };
  /** Answers by editing the message the button is on (Discord's UPDATE_MESSAGE). */
  update?(options: InteractionUpdateOptions): Promise<unknown>;
  /** Acknowledges now and edits that message later with `editReply` (DEFERRED_UPDATE_MESSAGE). */
  deferUpdate?(): Promise<unknown>;
}

/** Discord asking for autocomplete choices while a member types an option. */
export interface AutocompleteInteraction {
  readonly commandName: string;
  readonly user: { readonly id: string; readonly username: string };
  readonly options: {
    getFocused(full: true): { name: string; value: string | number };
    getString(name: string, required?: boolean): string | null;
  };
  respond(choices: AutocompleteChoice[]): Promise<unknown>;
}

export interface AutocompleteChoice {
  name: string;
  value: string;
}

export interface CommandDefinition {
  readonly name: string;
  readonly description: string;
  toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody;
}

/** What a handler sends back: text, embeds, buttons. */
export interface ReplyMessage {
  content?: string;
  embeds?: APIEmbed[];
  components?: APIActionRowComponent<APIComponentInMessageActionRow>[];
}

/** Services every handler may use; more join as capabilities land. */
export interface CommandServices {
  api: ApiClient;
  catalog: Catalog;
  registry: CommandRegistry;
  /** Gateway heartbeat round trip in ms, or -1 before the first heartbeat ack. */
  gatewayPing(): number;
}

export interface CommandContext {
  interaction: ChatInteraction;
  roles: MemberRoles;
  services: CommandServices;
  /** Answers the interaction, whether or not it was deferred already; later calls follow up. */
  reply(message: ReplyMessage | string): Promise<void>;
  /** Opens a modal as the first answer (nothing is deferred after it). */
  showModal(modal: APIModalInteractionResponseCallbackData): Promise<void>;
}

export interface ComponentContext {
  interaction: ComponentInteraction;
  roles: MemberRoles;
  services: CommandServices;
  reply(message: ReplyMessage | string): Promise<void>;
}

/** Buttons and modals a command or the API put on messages, routed by custom_id prefix. */
export interface ComponentHandler {
  readonly prefix: string;
  readonly ephemeral: boolean;
  /**
   * Answers by replacing the message its button is on (its buttons with it), so a confirmation
   * cannot be pressed again; refusals still come as a private reply beside it.
   */
  readonly updatesItsMessage?: boolean;
  execute(ctx: ComponentContext): Promise<void>;
}

/** One slash command: its definition, the permission it needs, its handler. One file each. */
export interface BotCommand {
  data: CommandDefinition;
  /** Needed to run it; null when anyone in the server may. */
  permission: Permission | null;
  /** The string option naming the environment the permission is checked for, if any. */
  environmentOption?: string;
  /** Replies only the caller sees. */
  ephemeral: boolean;
  execute(ctx: CommandContext): Promise<void>;
  /** Choices for the option being typed (at most 25; the dispatcher enforces it). */
  autocomplete?(
    interaction: AutocompleteInteraction,
    services: CommandServices,
  ): Promise<AutocompleteChoice[]>;
}

/** An expected failure whose message is meant for the user (shown as it is, ephemerally). */
export class CommandError extends Error {
  constructor(
    message: string,
    /** ⚠️ for errors, ⛔ for refusals (permission, self-approval). */
    readonly mark: '⚠️' | '⛔' = '⚠️',
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/**
 * A button or form id the bot did not make (forged, or from a version that no longer
 * exists): refused, and audited by the dispatcher with the id as received.
 */
export class UnknownComponentError extends CommandError {
  constructor() {
    super('This button is not one the bot knows.');
    this.name = 'UnknownComponentError';
  }
}
