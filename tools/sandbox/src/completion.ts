import { parseCommandLine, type DiscordSimulator } from '@chatops/discord-sim';

interface OptionDefinition {
  name: string;
  autocomplete?: boolean;
  choices?: { name: string; value: string | number }[];
}

/** How long Tab waits for the bot's suggestions (Discord gives it 3 s). */
const SUGGESTION_WAIT_MS = 2500;

const quote = (value: string) => (/\s/.test(value) ? `"${value}"` : value);

/**
 * Tab in the console, as Discord's picker: command names, then option names, then an option's
 * values: its fixed choices, or what the bot answers to an autocomplete interaction sent exactly
 * as Discord sends one (the member, the options typed so far, the focused one).
 * `quiet` collects the ids of those interactions so the console does not print them as well.
 */
export async function completeLine(
  sim: DiscordSimulator,
  who: { user: string; roles: string[] },
  line: string,
  quiet?: Set<string>,
): Promise<[string[], string]> {
  if (!line.startsWith('/')) return [[], line];
  const commands = sim.registeredCommands();
  const space = line.search(/\s/);
  if (space < 0) {
    const hits = commands.map((c) => `/${c.name}`).filter((name) => name.startsWith(line));
    return [hits.map((h) => `${h} `), line];
  }
  const command = commands.find((c) => c.name === line.slice(1, space));
  if (!command) return [[], line];
  const definitions = (command.options ?? []) as OptionDefinition[];
  const token = /(\S*)$/.exec(line)?.[1] ?? '';
  const before = line.slice(0, line.length - token.length);
  let typed: Record<string, string> = {};
  try {
    typed = parseCommandLine(before).options;
  } catch {
    // An unfinished earlier option: suggest from what can be read.
  }
  const colon = token.indexOf(':');
  if (colon < 0) {
    const hits = definitions
      .filter((d) => !(d.name in typed) && d.name.startsWith(token))
      .map((d) => `${d.name}:`);
    return [hits, token];
  }
  const name = token.slice(0, colon);
  const partial = token.slice(colon + 1).replace(/^["']/, '');
  const definition = definitions.find((d) => d.name === name);
  if (!definition) return [[], token];
  let values: string[] = [];
  if (definition.choices?.length) {
    values = definition.choices
      .map((c) => String(c.value))
      .filter((v) => v.toLowerCase().startsWith(partial.toLowerCase()));
  } else if (definition.autocomplete) {
    const interaction = sim.autocomplete({
      user: who.user,
      roles: who.roles,
      command: command.name,
      options: { ...typed, [name]: partial },
      focused: name,
    });
    quiet?.add(interaction.id);
    const events = await interaction.waitForEvents(0, SUGGESTION_WAIT_MS);
    const choices = (events.find((e) => e.type === 'autocomplete')?.choices ?? []) as {
      value?: unknown;
    }[];
    values = choices.map((c) => String(c.value ?? ''));
  }
  return [values.map((v) => `${name}:${quote(v)} `), token];
}
