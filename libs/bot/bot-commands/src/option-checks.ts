import { ApplicationCommandOptionType } from 'discord.js';
import type { ChatInteraction, CommandDefinition } from './command';

interface OptionRules {
  name: string;
  type: number;
  required?: boolean;
  choices?: { name: string; value: string | number }[];
  min_value?: number;
  max_value?: number;
  min_length?: number;
  max_length?: number;
}

/** A value as it may be shown back: no backticks or control characters, at most 60 characters. */
export function shownValue(value: string | number): string {
  // eslint-disable-next-line no-control-regex
  const clean = String(value).replace(/[`\u0000-\u001f\u007f]/g, '');
  return clean.length > 60 ? `${clean.slice(0, 59)}…` : clean;
}

/**
 * What is wrong with the options an interaction carries, measured against the command's own
 * definition (required, choices, integer ranges, lengths). Discord's client enforces these, its
 * API does not: a hand-made interaction can carry anything, so the bot checks before it acts.
 */
export function optionProblems(
  definition: CommandDefinition,
  options: ChatInteraction['options'],
): string[] {
  const rules = (definition.toJSON().options ?? []) as OptionRules[];
  const problems: string[] = [];
  for (const rule of rules) {
    const integer = rule.type === ApplicationCommandOptionType.Integer;
    if (!integer && rule.type !== ApplicationCommandOptionType.String) continue;
    let value: string | number | null;
    try {
      value = integer ? options.getInteger(rule.name) : options.getString(rule.name);
    } catch {
      problems.push(`\`${rule.name}\` must be ${integer ? 'a whole number' : 'text'}`);
      continue;
    }
    if (value === null) {
      if (rule.required) problems.push(`\`${rule.name}\` is required`);
      continue;
    }
    if (rule.choices?.length && !rule.choices.some((c) => c.value === value)) {
      problems.push(
        `\`${rule.name}\` must be one of ${rule.choices.map((c) => `\`${c.value}\``).join(', ')} (got \`${shownValue(value)}\`)`,
      );
      continue;
    }
    if (typeof value === 'number') {
      if (
        !Number.isInteger(value) ||
        (rule.min_value !== undefined && value < rule.min_value) ||
        (rule.max_value !== undefined && value > rule.max_value)
      )
        problems.push(
          `\`${rule.name}\` must be a whole number from ${rule.min_value ?? '…'} to ${rule.max_value ?? '…'} (got \`${shownValue(value)}\`)`,
        );
      continue;
    }
    if (rule.min_length !== undefined && value.length < rule.min_length)
      problems.push(`\`${rule.name}\` must be at least ${rule.min_length} characters`);
    if (rule.max_length !== undefined && value.length > rule.max_length)
      problems.push(
        `\`${rule.name}\` must be at most ${rule.max_length} characters (got ${value.length})`,
      );
  }
  return problems;
}
