import type { SlashCommandStringOption } from 'discord.js';
import { LIMITS } from '@chatops/discord-ui';
import type { VersionChoice } from '@chatops/domain';
import type { AutocompleteChoice, AutocompleteInteraction, CommandServices } from './command';

/** Catalog names matching what was typed, for service and environment options. */
export function nameChoices(
  names: readonly string[],
  typed: string | number,
): AutocompleteChoice[] {
  const query = String(typed).toLowerCase();
  return names.filter((n) => n.toLowerCase().includes(query)).map((n) => ({ name: n, value: n }));
}

/** Choices for the `service` and `env` options every deploy-like command has. */
export function catalogChoices(
  interaction: AutocompleteInteraction,
  services: CommandServices,
): AutocompleteChoice[] {
  const focused = interaction.options.getFocused(true);
  if (focused.name === 'service')
    return nameChoices(
      services.catalog.services.map((s) => s.name),
      focused.value,
    );
  if (focused.name === 'env')
    return nameChoices(
      services.catalog.environments.map((e) => e.name),
      focused.value,
    );
  return [];
}

/**
 * Versions deployed to the chosen service and environment before (only once both are chosen),
 * filtered by what is typed: who deployed each, the current one and the bad ones marked.
 */
export async function versionChoices(
  interaction: AutocompleteInteraction,
  services: CommandServices,
  options: { withoutCurrent: boolean },
): Promise<AutocompleteChoice[]> {
  const service = interaction.options.getString('service');
  const environment = interaction.options.getString('env');
  if (!service || !environment) return [];
  const typed = String(interaction.options.getFocused(true).value).toLowerCase();
  const versions = await services.api.recentVersions(service, environment);
  return (
    versions
      .filter((v) => !(options.withoutCurrent && v.current))
      // A choice's value holds at most 100 characters: longer tags are typed.
      .filter((v) => v.value.length <= LIMITS.choiceName && v.value.toLowerCase().includes(typed))
      .map((v) => ({ name: versionLabel(v), value: v.value }))
  );
}

/** "v2 · by alice · ⚠️ rolled back from by bob", within a choice's 100 characters. */
function versionLabel(v: VersionChoice): string {
  const notes = [
    v.current ? 'current' : null,
    v.deployedBy ? `by ${v.deployedBy.name}` : null,
    v.bad ? `⚠️ ${v.bad}` : null,
  ].filter(Boolean);
  const value = v.value.length > 60 ? `${v.value.slice(0, 59)}…` : v.value;
  const label = [value, ...notes].join(' · ');
  return label.length > LIMITS.choiceName ? `${label.slice(0, LIMITS.choiceName - 1)}…` : label;
}

/** The optional `env` filter of `/status` and `/alerts`, autocompleted by `catalogChoices`. */
export function optionalEnvironment(option: SlashCommandStringOption): SlashCommandStringOption {
  return option
    .setName('env')
    .setDescription('Environment (default: all)')
    .setRequired(false)
    .setAutocomplete(true);
}
