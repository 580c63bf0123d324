import { ApiError } from '@chatops/api-client';
import { CommandError } from './command';

type Who = {
  id: string;
  user: { id: string; username: string };
  guildId: string | null;
  channelId: string | null;
};

/** Who is asking, as the API records it. */
export function requester(
  interaction: Who,
  roles: { ids: readonly string[]; names?: readonly string[] },
) {
  return {
    actor: { id: interaction.user.id, name: interaction.user.username },
    roles: { ids: [...roles.ids], ...(roles.names ? { names: [...roles.names] } : {}) },
    source: `discord:guild/${interaction.guildId ?? 'dm'}/channel/${interaction.channelId ?? '?'}`,
  };
}

/**
 * The API's refusals as the member's ephemeral answer (⛔ for a permission, ⚠️ otherwise); an
 * unreachable API says so. Anything else is a bug and goes to the dispatcher's generic answer.
 */
export async function asCommandErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (
      error instanceof ApiError &&
      error.status >= 400 &&
      error.status < 600 &&
      error.status !== 500
    )
      throw new CommandError(error.message, error.reason === 'denied' ? '⛔' : '⚠️');
    if (error instanceof ApiError && error.status === 0) throw new CommandError(error.message);
    throw error;
  }
}
