import { Routes } from 'discord.js';
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';

/** The two calls registration needs from discord.js's REST client. */
export interface CommandsRest {
  get(route: `/${string}`): Promise<unknown>;
  put(route: `/${string}`, options: { body: unknown }): Promise<unknown>;
}

export interface RegistrationTarget {
  applicationId: string;
  /** Guild commands update instantly (use while developing); global ones everywhere. */
  guildId?: string;
}

export interface RegistrationResult {
  scope: string;
  changed: boolean;
  count: number;
}

/**
 * Makes Discord's command list equal to `commands` with one bulk overwrite, and skips even that
 * when nothing changed (Discord limits command creations per day), so it can run on every deploy.
 */
export async function registerCommands(
  rest: CommandsRest,
  target: RegistrationTarget,
  commands: RESTPostAPIChatInputApplicationCommandsJSONBody[],
): Promise<RegistrationResult> {
  const route = target.guildId
    ? Routes.applicationGuildCommands(target.applicationId, target.guildId)
    : Routes.applicationCommands(target.applicationId);
  const scope = target.guildId ? `guild ${target.guildId}` : 'global';
  const existing = (await rest.get(route)) as Record<string, unknown>[];
  const changed =
    canonical(existing) !== canonical(commands as unknown as Record<string, unknown>[]);
  if (changed) await rest.put(route, { body: commands });
  return { scope, changed, count: commands.length };
}

/** Compares what we send with what Discord returns, ignoring the fields Discord adds. */
function canonical(commands: Record<string, unknown>[]): string {
  const comparable = commands
    .map((command) => ({
      name: command['name'],
      description: command['description'],
      type: command['type'] ?? 1,
      options: normalise(command['options'] ?? []),
      default_member_permissions: command['default_member_permissions'] ?? null,
      nsfw: command['nsfw'] ?? false,
      contexts: command['contexts'] ?? null,
      integration_types: command['integration_types'] ?? null,
      name_localizations: command['name_localizations'] ?? null,
      description_localizations: command['description_localizations'] ?? null,
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  return JSON.stringify(comparable);
}

/** Options: drop nulls and empty localisations Discord echoes back; sort object keys. */
function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(
        ([key, v]) =>
          v !== null && v !== undefined && !(key.endsWith('_localizations') && isEmpty(v)),
      )
      .filter(([key, v]) => !(key === 'required' && v === false))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, v]) => [key, normalise(v)]);
    return Object.fromEntries(entries);
  }
  return value;
}

function isEmpty(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
