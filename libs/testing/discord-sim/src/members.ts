import { modalInputs } from './console-text';
import { toOptions } from './options';
import { toApiMessage } from './rest-channels';
import { randomBytes } from 'node:crypto';
import { ChannelType, ComponentType, InteractionType } from 'discord-api-types/v10';
import { SimInteraction, type ConversationEvent } from './interaction';
import { snowflake } from './snowflake';
import type { DiscordSimulator } from './simulator';
import type { InvokeCommand, SimUserRef } from './types';

export function createInteraction(
  sim: DiscordSimulator,
  who: SimUserRef & { channelId?: string },
  kind: SimInteraction['kind'],
  name: string,
  build: (base: Record<string, unknown>) => Record<string, unknown>,
): SimInteraction {
  const user = sim.user(who.user);
  const roleIds = (who.roles ?? []).map((r) => sim.role(r).id);
  const channelId = who.channelId ?? sim.channelId;
  const interaction = new SimInteraction(
    snowflake(),
    `aW50ZXJhY3Rpb24${randomBytes(48).toString('base64url')}`,
    kind,
    name,
    user.id,
    channelId,
    Date.now(),
    sim.options.responseDeadlineMs,
    sim.options.tokenLifetimeMs,
  );
  sim.interactions.set(interaction.id, interaction);
  interaction.on('event', (event: ConversationEvent) =>
    sim.emit('conversation', interaction, event),
  );
  const base = {
    id: interaction.id,
    application_id: sim.applicationId,
    token: interaction.token,
    version: 1,
    guild_id: sim.guildId,
    channel_id: channelId,
    channel: {
      id: channelId,
      type: ChannelType.GuildText,
      name: sim.options.channelName,
      guild_id: sim.guildId,
    },
    member: {
      user,
      roles: roleIds,
      permissions: '0',
      joined_at: new Date(0).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
    },
    app_permissions: sim.appPermissions(channelId),
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': sim.guildId },
    context: 0,
    attachment_size_limit: 10485760,
  };
  sim.gateway.dispatch('INTERACTION_CREATE', build(base));
  return interaction;
}

/** A member runs a slash command. Throws for commands the bot did not register, unless allowed. */
export function invokeMember(sim: DiscordSimulator, request: InvokeCommand): SimInteraction {
  const definition = sim.registeredCommands().find((c) => c.name === request.command);
  if (!definition && !request.allowUnregistered) {
    const known =
      sim
        .registeredCommands()
        .map((c) => `/${c.name}`)
        .join(', ') || 'none';
    throw new Error(`Unknown command /${request.command}. Registered commands: ${known}`);
  }
  const options = definition ? toOptions(definition, request.options ?? {}) : [];
  return createInteraction(sim, request, 'command', request.command, (base) => ({
    ...base,
    type: InteractionType.ApplicationCommand,
    data: {
      id: definition?.id ?? snowflake(),
      name: request.command,
      type: 1,
      options,
      guild_id: sim.guildId,
    },
  }));
}

/** A member presses a button on a message. */
export function pressMember(
  sim: DiscordSimulator,
  messageId: string,
  label: string,
  who: SimUserRef,
): SimInteraction {
  const message = sim.messages.get(messageId);
  if (!message) throw new Error(`no message ${messageId}`);
  // An ephemeral message exists for its member only: nobody else sees it, let alone presses it.
  if (message.visibleTo && message.visibleTo !== sim.user(who.user).id)
    throw new Error(`${who.user} cannot see that message (it is only for its member)`);
  const button = (
    message.components as {
      components?: { label?: string; custom_id?: string; disabled?: boolean }[];
    }[]
  )
    .flatMap((row) => row.components ?? [])
    .find((c) => c.label?.toLowerCase() === label.toLowerCase());
  if (!button?.custom_id) throw new Error(`no button [${label}] on that message`);
  if (button.disabled) throw new Error(`[${label}] is disabled`);
  const interaction = createInteraction(
    sim,
    { ...who, channelId: message.channel_id },
    'component',
    button.custom_id,
    (base) => ({
      ...base,
      type: InteractionType.MessageComponent,
      data: { custom_id: button.custom_id, component_type: ComponentType.Button },
      message: toApiMessage(sim, message),
    }),
  );
  interaction.componentMessageId = message.id;
  return interaction;
}

/** A member types in an autocomplete option; the bot's choices arrive as an `autocomplete` event. */
export function autocompleteMember(
  sim: DiscordSimulator,
  request: InvokeCommand & { focused: string },
): SimInteraction {
  const definition = sim.registeredCommands().find((c) => c.name === request.command);
  if (!definition) throw new Error(`Unknown command /${request.command}`);
  const values = { ...(request.options ?? {}) };
  values[request.focused] ??= '';
  const options = toOptions(definition, values, { partial: true }).map((o) =>
    o.name === request.focused ? { ...o, focused: true } : o,
  );
  return createInteraction(sim, request, 'autocomplete', request.command, (base) => ({
    ...base,
    type: InteractionType.ApplicationCommandAutocomplete,
    data: { id: definition.id, name: request.command, type: 1, options, guild_id: sim.guildId },
  }));
}

/** A member submits the modal the bot opened in answer to `interactionId`. */
export function submitModalMember(
  sim: DiscordSimulator,
  interactionId: string,
  values: Record<string, string>,
  who: SimUserRef,
): SimInteraction {
  const opened = sim.interactions.get(interactionId);
  const modal = opened?.events.find((e) => e.type === 'modal')?.modal as
    | { custom_id: string }
    | undefined;
  if (!opened || !modal) throw new Error(`interaction ${interactionId} opened no modal`);
  // Discord closes a form once it is submitted; only the member it opened for can submit it.
  if (opened.modalSubmitted) throw new Error('that form was already submitted');
  if (sim.user(who.user).id !== opened.userId)
    throw new Error(`${who.user} cannot submit a form opened for another member`);
  const inputs = modalInputs(modal);
  const unknown = Object.keys(values).filter((k) => !inputs.some((i) => i.custom_id === k));
  // Discord's form has only its fields: naming another is a mistake of the test, not a submission.
  if (unknown.length)
    throw new Error(
      `the form has no field ${unknown.join(', ')} (fields: ${inputs.map((i) => i.custom_id).join(', ')})`,
    );
  opened.modalSubmitted = true;
  return createInteraction(
    sim,
    { ...who, channelId: opened.channelId },
    'component',
    modal.custom_id,
    (base) => ({
      ...base,
      type: InteractionType.ModalSubmit,
      data: {
        custom_id: modal.custom_id,
        components: inputs.map((input) => ({
          type: ComponentType.ActionRow,
          components: [
            {
              type: ComponentType.TextInput,
              custom_id: input.custom_id,
              value: values[input.custom_id] ?? '',
            },
          ],
        })),
      },
    }),
  );
}
