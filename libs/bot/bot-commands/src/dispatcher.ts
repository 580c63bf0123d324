import { randomUUID } from 'node:crypto';
import { MessageFlags } from 'discord.js';
import type { Logger } from 'pino';
import { hasPermission, MemberRoles } from '@chatops/domain';
import { LIMITS } from '@chatops/discord-ui';
import type {
  Answerable,
  AutocompleteChoice,
  AutocompleteInteraction,
  ChatInteraction,
  CommandServices,
  ComponentInteraction,
  ReplyMessage,
} from './command';
import { CommandError, UnknownComponentError } from './command';
import { optionProblems } from './option-checks';

export type CommandOutcome = 'ok' | 'error' | 'denied' | 'unknown' | 'invalid';

/** Whom the bot's answers may ping: nobody. Said in every reply, edit, follow-up and update. */
export const NO_PINGS = { parse: [] as [], repliedUser: false };
const ANSWERS = new Set(['reply', 'editReply', 'followUp', 'update']);

/**
 * The interaction as handlers and the dispatcher use it: every answer it sends carries
 * `allowed_mentions` (without it Discord parses mentions from the content, and an echoed
 * `@everyone` or `<@&role>` would ping). Everything else is the interaction's own.
 */
function withoutPings<T extends object>(interaction: T): T {
  return new Proxy(interaction, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (typeof property === 'string' && ANSWERS.has(property))
        return (options: string | Record<string, unknown> = {}) =>
          value.call(target, {
            ...(typeof options === 'string' ? { content: options } : options),
            allowedMentions: NO_PINGS,
          });
      return value.bind(target);
    },
  });
}

export interface DispatcherOptions {
  /**
   * Discord wants a first response within 3 s. A handler that has not answered after this long
   * gets its reply deferred for it (default 2000 ms), so no command ever "did not respond".
   */
  deferAfterMs?: number;
  /** Called once per interaction (metrics). */
  observe?: (command: string, outcome: CommandOutcome, seconds: number) => void;
  /** Autocomplete answers later than this send no choices (default 2500 ms; Discord allows 3 s). */
  autocompleteBudgetMs?: number;
}

/**
 * Routes a slash command to its handler: unknown commands and members without the permission
 * get an ephemeral explanation (refusals are audited), slow handlers are deferred in time,
 * and a handler that throws gets the user an ephemeral error while the bot carries on.
 */
export class CommandDispatcher {
  private readonly deferAfterMs: number;
  private readonly autocompleteBudgetMs: number;

  constructor(
    private readonly services: CommandServices,
    private readonly logger: Logger,
    private readonly options: DispatcherOptions = {},
  ) {
    this.deferAfterMs = options.deferAfterMs ?? 2000;
    this.autocompleteBudgetMs = options.autocompleteBudgetMs ?? 2500;
  }

  async dispatch(interaction: ChatInteraction, roles: MemberRoles): Promise<CommandOutcome> {
    const started = performance.now();
    const outcome = await this.run(withoutPings(interaction), roles);
    this.options.observe?.(interaction.commandName, outcome, (performance.now() - started) / 1000);
    return outcome;
  }

  private async run(interaction: ChatInteraction, roles: MemberRoles): Promise<CommandOutcome> {
    const log = this.logger.child({
      interactionId: interaction.id,
      command: interaction.commandName,
      userId: interaction.user.id,
    });
    const command = this.services.registry.get(interaction.commandName);
    if (!command) {
      log.warn('unknown command');
      await this.safely(log, () =>
        interaction.reply({
          content: `⚠️ Unknown command \`/${interaction.commandName}\`. \`/help\` lists the commands this bot serves.`,
          flags: MessageFlags.Ephemeral,
        }),
      );
      return 'unknown';
    }

    const problems = optionProblems(command.data, interaction.options);
    if (problems.length) {
      log.info({ problems }, 'invalid options');
      await this.safely(log, () =>
        interaction.reply({
          content: `⚠️ Invalid options for \`/${command.data.name}\`: ${problems.join('; ')}.`,
          flags: MessageFlags.Ephemeral,
        }),
      );
      this.services.api
        .recordAudit({
          actor: { id: interaction.user.id, name: interaction.user.username },
          action: command.data.name,
          outcome: 'rejected',
          source: discordSource(interaction),
          detail: { problems },
        })
        .catch((error: unknown) => log.error({ err: error }, 'could not audit a refusal'));
      return 'invalid';
    }

    if (command.permission) {
      const environment = command.environmentOption
        ? interaction.options.getString(command.environmentOption)
        : null;
      if (!hasPermission(this.services.catalog.roles, roles, command.permission, environment)) {
        log.info({ permission: command.permission, environment }, 'permission denied');
        await this.safely(log, () =>
          interaction.reply({
            content: `⛔ You need the \`${command.permission}\` permission${environment ? ` on \`${environment}\`` : ''} to use \`/${command.data.name}\`. Ask an admin to grant it to one of your roles.`,
            flags: MessageFlags.Ephemeral,
          }),
        );
        this.services.api
          .recordAudit({
            actor: { id: interaction.user.id, name: interaction.user.username },
            action: command.data.name,
            outcome: 'denied',
            environment,
            source: discordSource(interaction),
            detail: { permission: command.permission },
          })
          .catch((error: unknown) => log.error({ err: error }, 'could not audit a refusal'));
        return 'denied';
      }
    }

    const mode = command.ephemeral ? 'ephemeral' : 'public';
    return this.answer(interaction, mode, log, command.data.name, (responder) =>
      command.execute({
        interaction,
        roles,
        services: this.servicesFor(interaction.user),
        reply: (message) => responder.send(message),
        showModal: (modal) => responder.showModal(() => interaction.showModal(modal)),
      }),
    );
  }

  /** A button press or a modal submit, routed to its handler by custom_id prefix. */
  async dispatchComponent(
    pressed: ComponentInteraction,
    roles: MemberRoles,
  ): Promise<CommandOutcome> {
    const interaction = withoutPings(pressed);
    const started = performance.now();
    const handler = this.services.registry.component(interaction.customId);
    const name = handler ? `component:${handler.prefix}` : 'component:unknown';
    const log = this.logger.child({
      interactionId: interaction.id,
      component: interaction.customId,
      userId: interaction.user.id,
    });
    let outcome: CommandOutcome;
    if (!handler) {
      log.warn('unknown component');
      await this.safely(log, () =>
        interaction.reply({
          content: '⚠️ This button or form is no longer handled by the bot.',
          flags: MessageFlags.Ephemeral,
        }),
      );
      this.auditUnknownComponent(interaction, log);
      outcome = 'unknown';
    } else {
      const updating = handler.updatesItsMessage && interaction.update && interaction.deferUpdate;
      const mode = updating ? 'update' : handler.ephemeral ? 'ephemeral' : 'public';
      outcome = await this.answer(interaction, mode, log, name, (responder) =>
        handler.execute({
          interaction,
          roles,
          services: this.servicesFor(interaction.user),
          reply: (message) => responder.send(message),
        }),
      );
    }
    this.options.observe?.(name, outcome, (performance.now() - started) / 1000);
    return outcome;
  }

  /**
   * Choices while a member types. Discord drops an answer later than 3 s, so a slow source
   * (GitHub behind the API) gets cut off in time and the member sees no choices, not an error.
   */
  async dispatchAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const command = this.services.registry.get(interaction.commandName);
    const log = this.logger.child({ command: interaction.commandName, autocomplete: true });
    let choices: AutocompleteChoice[] = [];
    if (command?.autocomplete) {
      let timer: NodeJS.Timeout | undefined;
      try {
        choices = await Promise.race([
          command.autocomplete(interaction, this.services),
          new Promise<AutocompleteChoice[]>((resolve) => {
            timer = setTimeout(() => resolve([]), this.autocompleteBudgetMs);
          }),
        ]);
      } catch (error) {
        log.warn({ err: error }, 'autocomplete failed');
      } finally {
        clearTimeout(timer);
      }
    }
    await this.safely(log, () =>
      interaction.respond(
        choices.slice(0, LIMITS.autocompleteChoices).map((c) => ({
          name: c.name.slice(0, LIMITS.choiceName),
          value: c.value.slice(0, LIMITS.choiceName),
        })),
      ),
    );
  }

  /**
   * Runs a handler with a responder: deferred in time if slow, a user-facing CommandError shown
   * as it is, anything else logged with a reference the user sees.
   */
  private async answer(
    interaction: Answerable & Pick<ComponentInteraction, 'update' | 'deferUpdate'>,
    mode: AnswerMode,
    log: Logger,
    name: string,
    execute: (responder: Responder) => Promise<void>,
  ): Promise<CommandOutcome> {
    const responder = new Responder(interaction, mode);
    const timer = setTimeout(() => {
      responder
        .deferIfUnanswered()
        .catch((error: unknown) => log.error({ err: error }, 'could not defer'));
    }, this.deferAfterMs);
    try {
      await execute(responder);
      return 'ok';
    } catch (error) {
      if (error instanceof UnknownComponentError && 'customId' in interaction)
        this.auditUnknownComponent(interaction as ComponentInteraction, log);
      const userFacing = error instanceof CommandError;
      const reference = randomUUID().slice(0, 8);
      if (userFacing) log.info({ reason: (error as Error).message }, 'command refused');
      else log.error({ err: error, reference }, 'command failed');
      const content = userFacing
        ? `${(error as CommandError).mark} ${(error as Error).message}`
        : `⚠️ \`/${name}\` failed unexpectedly. The error is logged with reference \`${reference}\`.`;
      await this.safely(log, () => responder.sendError(content));
      return 'error';
    } finally {
      clearTimeout(timer);
    }
  }

  /** The services as a handler uses them: every API call made on the member's behalf. */
  private servicesFor(user: { id: string; username: string }): CommandServices {
    return {
      ...this.services,
      api: this.services.api.onBehalfOf({ id: user.id, name: user.username }),
    };
  }

  /** A press of a button the bot did not make: recorded with the id as it came. */
  private auditUnknownComponent(interaction: ComponentInteraction, log: Logger): void {
    this.services.api
      .recordAudit({
        actor: { id: interaction.user.id, name: interaction.user.username },
        action: 'component',
        outcome: 'rejected',
        source: discordSource(interaction),
        detail: { customId: interaction.customId, reason: 'not a button or form the bot made' },
      })
      .catch((error: unknown) => log.error({ err: error }, 'could not audit a refusal'));
  }

  /** Discord being unreachable must not turn one failed reply into a crashed bot. */
  private async safely(log: Logger, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      log.error({ err: error }, 'could not answer the interaction');
    }
  }
}

/** A public reply, one only the member sees, or an edit of the message the button is on. */
type AnswerMode = 'public' | 'ephemeral' | 'update';

/**
 * Serialises everything sent for one interaction: the first answer is a reply (or the edit of
 * a deferred reply; in update mode, the edit of the button's message), later ones are follow-ups.
 */
class Responder {
  private state: 'unanswered' | 'deferred' | 'answered' = 'unanswered';
  private queue: Promise<unknown> = Promise.resolve();
  private readonly ephemeral: boolean;

  constructor(
    private readonly interaction: Answerable & Pick<ComponentInteraction, 'update' | 'deferUpdate'>,
    private readonly mode: AnswerMode,
  ) {
    this.ephemeral = mode !== 'public';
  }

  /** A modal is a first answer of its own. */
  showModal(open: () => Promise<unknown>): Promise<void> {
    return this.enqueue(async () => {
      if (this.state !== 'unanswered') throw new Error('a modal must be the first answer');
      await open();
      this.state = 'answered';
    });
  }

  deferIfUnanswered(): Promise<void> {
    return this.enqueue(async () => {
      if (this.state !== 'unanswered') return;
      if (this.mode === 'update' && this.interaction.deferUpdate)
        await this.interaction.deferUpdate();
      else
        await this.interaction.deferReply(this.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
      this.state = 'deferred';
    });
  }

  send(message: ReplyMessage | string): Promise<void> {
    const body = typeof message === 'string' ? { content: message } : message;
    return this.enqueue(async () => {
      if (this.state === 'unanswered' && this.mode === 'update' && this.interaction.update) {
        await this.interaction.update(body);
      } else if (this.state === 'unanswered') {
        await this.interaction.reply({
          ...body,
          ...(this.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
        });
      } else if (this.state === 'deferred') {
        await this.interaction.editReply(body);
      } else {
        await this.interaction.followUp({
          ...body,
          ...(this.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
        });
      }
      this.state = 'answered';
    });
  }

  /** Errors are for the caller only: a public deferred reply is edited, anything later follows up privately. */
  sendError(content: string): Promise<void> {
    return this.enqueue(async () => {
      if (this.state === 'unanswered') {
        await this.interaction.reply({ content, flags: MessageFlags.Ephemeral });
      } else if (this.state === 'deferred' && this.mode === 'update') {
        // The deferred edit is of the button's message: the refusal goes beside it.
        await this.interaction.followUp({ content, flags: MessageFlags.Ephemeral });
      } else if (this.state === 'deferred') {
        await this.interaction.editReply({ content, embeds: [], components: [] });
      } else {
        await this.interaction.followUp({ content, flags: MessageFlags.Ephemeral });
      }
      this.state = 'answered';
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

function discordSource(interaction: { guildId: string | null; channelId: string | null }): string {
  return `discord:guild/${interaction.guildId ?? 'dm'}/channel/${interaction.channelId ?? 'unknown'}`;
}
