import {
  ApplicationCommandOptionType,
  type APIApplicationCommand,
  type APIApplicationCommandInteractionDataOption,
} from 'discord-api-types/v10';

/** `key:value` strings typed by the command's registered option definitions. */
export function toOptions(
  command: APIApplicationCommand,
  values: Record<string, string>,
  { partial = false }: { partial?: boolean } = {},
): APIApplicationCommandInteractionDataOption[] {
  const definitions = (command.options ?? []) as OptionDefinition[];
  for (const name of Object.keys(values)) {
    if (!definitions.some((d) => d.name === name)) {
      throw new Error(
        `/${command.name} has no option "${name}" (options: ${definitions.map((d) => d.name).join(', ') || 'none'})`,
      );
    }
  }
  const missing = definitions
    .filter((d) => d.required && values[d.name] === undefined)
    .map((d) => d.name);
  if (missing.length && !partial)
    throw new Error(`/${command.name} needs ${missing.map((m) => `${m}:`).join(' ')}`);
  // What Discord's client refuses before anything is sent (autocomplete sends what is typed).
  if (!partial)
    for (const d of definitions) {
      const raw = values[d.name];
      const problem = raw === undefined ? null : optionProblem(d, raw);
      if (problem) throw new Error(`/${command.name} ${d.name}: ${problem}`);
    }
  return definitions
    .filter((d) => values[d.name] !== undefined)
    .map((d) => {
      const raw = values[d.name] ?? '';
      switch (d.type) {
        case ApplicationCommandOptionType.Integer:
        case ApplicationCommandOptionType.Number:
          return {
            name: d.name,
            type: d.type,
            value: Number(raw),
          } as APIApplicationCommandInteractionDataOption;
        case ApplicationCommandOptionType.Boolean:
          return {
            name: d.name,
            type: d.type,
            value: raw === 'true',
          } as APIApplicationCommandInteractionDataOption;
        default:
          return {
            name: d.name,
            type: ApplicationCommandOptionType.String,
            value: raw,
          } as APIApplicationCommandInteractionDataOption;
      }
    });
}

interface OptionDefinition {
  name: string;
  type: number;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  min_value?: number;
  max_value?: number;
  min_length?: number;
  max_length?: number;
}

/** Why Discord's client would not send this value for the option (null: it would). */
export function optionProblem(option: OptionDefinition, raw: string): string | null {
  const numeric =
    option.type === ApplicationCommandOptionType.Integer ||
    option.type === ApplicationCommandOptionType.Number;
  if (option.type === ApplicationCommandOptionType.Boolean && raw !== 'true' && raw !== 'false')
    return 'must be true or false';
  if (numeric) {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) return 'must be a number';
    if (option.type === ApplicationCommandOptionType.Integer && !Number.isInteger(value))
      return 'must be a whole number';
    if (option.min_value !== undefined && value < option.min_value)
      return `must be at least ${option.min_value}`;
    if (option.max_value !== undefined && value > option.max_value)
      return `must be at most ${option.max_value}`;
  }
  if (option.type === ApplicationCommandOptionType.String) {
    if (option.min_length !== undefined && raw.length < option.min_length)
      return `must be at least ${option.min_length} characters`;
    if (option.max_length !== undefined && raw.length > option.max_length)
      return `must be at most ${option.max_length} characters`;
  }
  if (option.choices?.length) {
    const chosen = option.choices.some((c) => String(c.value) === raw);
    if (!chosen) return `must be one of ${option.choices.map((c) => String(c.value)).join(', ')}`;
  }
  return null;
}
