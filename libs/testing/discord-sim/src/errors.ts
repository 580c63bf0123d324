/** Discord's JSON error body. */
export interface DiscordErrorBody {
  message: string;
  code: number;
  errors?: Record<string, unknown>;
}

export class DiscordHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: DiscordErrorBody,
  ) {
    super(body.message);
  }
}

export const errors = {
  unauthorized: () => new DiscordHttpError(401, { message: '401: Unauthorized', code: 0 }),
  unknownInteraction: () =>
    new DiscordHttpError(404, { message: 'Unknown interaction', code: 10062 }),
  alreadyAcknowledged: () =>
    new DiscordHttpError(400, {
      message: 'Interaction has already been acknowledged.',
      code: 40060,
    }),
  invalidWebhookToken: () =>
    new DiscordHttpError(401, { message: 'Invalid Webhook Token', code: 50027 }),
  unknownWebhook: () => new DiscordHttpError(404, { message: 'Unknown Webhook', code: 10015 }),
  unknownMessage: () => new DiscordHttpError(404, { message: 'Unknown Message', code: 10008 }),
  unknownChannel: () => new DiscordHttpError(404, { message: 'Unknown Channel', code: 10003 }),
  unknownApplication: () =>
    new DiscordHttpError(404, { message: 'Unknown Application', code: 10002 }),
  missingPermissions: () =>
    new DiscordHttpError(403, { message: 'Missing Permissions', code: 50013 }),
  notFound: () => new DiscordHttpError(404, { message: '404: Not Found', code: 0 }),
  methodNotAllowed: () =>
    new DiscordHttpError(405, { message: '405: Method Not Allowed', code: 0 }),
  badJson: () => new DiscordHttpError(400, { message: '400: Bad Request', code: 50109 }),
  emptyMessage: () =>
    new DiscordHttpError(400, { message: 'Cannot send an empty message', code: 50006 }),
  threadAlreadyCreated: () =>
    new DiscordHttpError(400, {
      message: 'A thread has already been created for this message',
      code: 160004,
    }),
  invalidForm: (fieldErrors: Record<string, unknown>) =>
    new DiscordHttpError(400, { message: 'Invalid Form Body', code: 50035, errors: fieldErrors }),
};
