import {
  InteractionResponseType,
  MessageFlags,
  type APIApplicationCommand,
} from 'discord-api-types/v10';
import { errors } from './errors';
import { SimInteraction, type StoredMessage } from './interaction';
import { validateMessage, type MessageBody } from './limits';
import { snowflake } from './snowflake';
import { pingsOf } from './pings';
import type { DiscordSimulator } from './simulator';
import { store, update, toApiMessage } from './rest-channels';

export function listCommands(
  sim: DiscordSimulator,
  applicationId: string,
  scope: string,
): APIApplicationCommand[] {
  if (applicationId !== sim.applicationId) throw errors.unknownApplication();
  return sim.commands.get(scope) ?? [];
}

export function putCommands(
  sim: DiscordSimulator,
  applicationId: string,
  scope: string,
  body: unknown,
): APIApplicationCommand[] {
  if (applicationId !== sim.applicationId) throw errors.unknownApplication();
  if (!Array.isArray(body))
    throw errors.invalidForm({
      _errors: [{ code: 'BASE_TYPE_BAD_ARRAY', message: 'Must be an array.' }],
    });
  const previous = new Map((sim.commands.get(scope) ?? []).map((c) => [c.name, c]));
  const stored = (body as Record<string, unknown>[]).map((command) => ({
    id: previous.get(String(command['name']))?.id ?? snowflake(),
    application_id: sim.applicationId,
    ...(scope === 'global' ? {} : { guild_id: scope }),
    version: snowflake(),
    type: 1,
    default_member_permissions: null,
    nsfw: false,
    description_localizations: null,
    name_localizations: null,
    ...command,
  })) as APIApplicationCommand[];
  sim.commands.set(scope, stored);
  sim.options.log?.(
    `rest: ${stored.length} commands registered (${scope === 'global' ? 'global' : 'guild'})`,
  );
  return stored;
}

export function interactionOf(sim: DiscordSimulator, id: string, token: string): SimInteraction {
  const interaction = sim.interactions.get(id);
  if (!interaction || interaction.token !== token) throw errors.unknownInteraction();
  return interaction;
}

export function interactionByToken(
  sim: DiscordSimulator,
  applicationId: string,
  token: string,
): SimInteraction {
  if (applicationId !== sim.applicationId) throw errors.unknownWebhook();
  const interaction = [...sim.interactions.values()].find((i) => i.token === token);
  if (!interaction) throw errors.unknownWebhook();
  if (interaction.expired) throw errors.invalidWebhookToken();
  return interaction;
}

export function callback(
  sim: DiscordSimulator,
  id: string,
  token: string,
  body: unknown,
  query: URLSearchParams,
): unknown {
  const interaction = interactionOf(sim, id, token);
  const { type, data } = (body ?? {}) as {
    type?: number;
    data?: MessageBody & { choices?: unknown[] };
  };
  // Late is late: Discord has already told the user the application did not respond.
  if (interaction.timedOut || Date.now() - interaction.createdAt > interaction.deadlineMs)
    throw errors.unknownInteraction();
  if (interaction.acknowledged) throw errors.alreadyAcknowledged();
  const ephemeral = ((data?.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
  let message: StoredMessage | undefined;
  switch (type) {
    case InteractionResponseType.ChannelMessageWithSource:
      validateMessage(data ?? {}, { requireContent: true });
      message = store(
        sim,
        interaction.channelId,
        data ?? {},
        ephemeral ? interaction.userId : undefined,
      );
      interaction.acknowledge();
      interaction.originalMessageId = message.id;
      interaction.record('reply', ephemeral, { message });
      break;
    case InteractionResponseType.DeferredChannelMessageWithSource:
      message = store(sim, interaction.channelId, {}, ephemeral ? interaction.userId : undefined);
      message.thinking = true;
      interaction.acknowledge();
      interaction.originalMessageId = message.id;
      interaction.record('deferred', ephemeral, { message });
      break;
    case InteractionResponseType.DeferredMessageUpdate:
      // Editing @original later edits the message the button is on.
      interaction.originalMessageId = findComponentMessage(sim, interaction).id;
      interaction.acknowledge();
      interaction.record('deferred-update', false);
      break;
    case InteractionResponseType.UpdateMessage: {
      validateMessage(data ?? {}, { requireContent: false });
      const target = findComponentMessage(sim, interaction);
      message = update(sim, target, data ?? {});
      interaction.acknowledge();
      interaction.originalMessageId = target.id;
      // An ephemeral message stays ephemeral when a button on it updates it.
      interaction.record('update', Boolean(target.visibleTo), { message });
      break;
    }
    case InteractionResponseType.ApplicationCommandAutocompleteResult: {
      const choices = data?.choices ?? [];
      if (choices.length > 25)
        throw errors.invalidForm({
          choices: {
            _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }],
          },
        });
      interaction.acknowledge();
      interaction.record('autocomplete', true, { choices });
      break;
    }
    case InteractionResponseType.Modal:
      interaction.acknowledge();
      interaction.record('modal', true, { modal: data });
      break;
    default:
      throw errors.invalidForm({
        type: {
          _errors: [
            {
              code: 'BASE_TYPE_CHOICES',
              message: `Value must be one of ${Object.values(InteractionResponseType)
                .filter((v) => typeof v === 'number')
                .join(', ')}.`,
            },
          ],
        },
      });
  }
  if (query.get('with_response') === 'true') {
    return {
      interaction: {
        id: interaction.id,
        type: interaction.kind === 'command' ? 2 : 3,
        activity_instance_id: null,
        response_message_id: message?.id,
        response_message_loading: message?.thinking ?? false,
        response_message_ephemeral: ephemeral,
      },
      resource: { type, message: message ? toApiMessage(sim, message) : undefined },
    };
  }
  return undefined;
}

export function findComponentMessage(
  sim: DiscordSimulator,
  interaction: SimInteraction,
): StoredMessage {
  const pressed = interaction.componentMessageId
    ? sim.messages.get(interaction.componentMessageId)
    : undefined;
  if (pressed) return pressed;
  const message = [...sim.messages.values()]
    .reverse()
    .find((m) =>
      (m.components as { components?: { custom_id?: string }[] }[]).some((row) =>
        row.components?.some((c) => c.custom_id === interaction.name),
      ),
    );
  if (!message) throw errors.unknownMessage();
  return message;
}

export function webhookMessage(
  sim: DiscordSimulator,
  applicationId: string,
  token: string,
  messageId: string,
): StoredMessage {
  const interaction = interactionByToken(sim, applicationId, token);
  const id = messageId === '@original' ? interaction.originalMessageId : messageId;
  const message = id ? sim.messages.get(id) : undefined;
  if (!message) throw errors.unknownMessage();
  return message;
}

export function editWebhookMessage(
  sim: DiscordSimulator,
  applicationId: string,
  token: string,
  messageId: string,
  body: unknown,
): unknown {
  const interaction = interactionByToken(sim, applicationId, token);
  const message = webhookMessage(sim, applicationId, token, messageId);
  validateMessage((body ?? {}) as MessageBody, { requireContent: false });
  const wasThinking = message.thinking === true;
  const updated = update(sim, message, (body ?? {}) as MessageBody);
  updated.thinking = false;
  interaction.record(wasThinking ? 'edit' : 'edit', updated.visibleTo !== undefined, {
    message: updated,
  });
  return toApiMessage(sim, updated);
}

export function executeWebhook(
  sim: DiscordSimulator,
  id: string,
  token: string,
  body: unknown,
  query: URLSearchParams,
): unknown {
  const webhook = sim.incomingWebhooks.get(id);
  if (!webhook || webhook.token !== token) throw errors.unknownWebhook();
  const data = (body ?? {}) as MessageBody;
  validateMessage(data, { requireContent: true });
  const pinged = pingsOf(data);
  const message = store(sim, sim.channelId, data);
  message.webhook_id = id;
  message.pinged = pinged;
  sim.feed('message', message);
  sim.emit('message', message);
  return query.get('wait') === 'true' ? toApiMessage(sim, message) : undefined;
}

export function followUp(
  sim: DiscordSimulator,
  applicationId: string,
  token: string,
  body: unknown,
  query: URLSearchParams,
): unknown {
  if (sim.incomingWebhooks.has(applicationId))
    return executeWebhook(sim, applicationId, token, body, query);
  const interaction = interactionByToken(sim, applicationId, token);
  if (!interaction.acknowledged) throw errors.unknownWebhook();
  const data = (body ?? {}) as MessageBody;
  validateMessage(data, { requireContent: true });
  const ephemeral = ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0;
  const message = store(
    sim,
    interaction.channelId,
    data,
    ephemeral ? interaction.userId : undefined,
  );
  interaction.record('followup', ephemeral, { message });
  return toApiMessage(sim, message);
}
