import type { ConversationEvent } from './interaction';
import { renderMessage } from './render';

export interface ParsedCommand {
  command: string;
  options: Record<string, string>;
  /**
   * The option written as `name:?` (or `name:partial?`): ask the bot for its autocomplete
   * choices there instead of sending the command. Its typed part is in `options`.
   */
  focused?: string;
}

/**
 * `/deploy service:api env:staging ref:"release 1"` → { command: 'deploy', options: {...} }.
 * Values may be quoted with " or '. An unquoted value ending in `?` asks for autocomplete.
 */
export function parseCommandLine(line: string): ParsedCommand {
  const trimmed = line.trim();
  const head = /^\/([-_\p{L}\p{N}]{1,32})(?:\s+|$)/u.exec(trimmed);
  if (!head)
    throw new Error(
      'type a slash command, for example /help or /deploy service:api env:staging ref:main',
    );
  const options: Record<string, string> = {};
  let focused: string | undefined;
  const rest = trimmed.slice(head[0].length);
  const pattern = /([-_\p{L}\p{N}]+):(?:"([^"]*)"|'([^']*)'|(\S+))\s*/uy;
  let index = 0;
  while (index < rest.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(rest);
    if (!match)
      throw new Error(
        `cannot read "${rest.slice(index)}": options are name:value (quote values with spaces)`,
      );
    const name = match[1] ?? '';
    const bare = match[4];
    if (bare !== undefined && bare.endsWith('?')) {
      if (focused)
        throw new Error(`ask for one option's choices at a time (${focused}:? and ${name}:?)`);
      focused = name;
      options[name] = bare.slice(0, -1);
    } else options[name] = match[2] ?? match[3] ?? bare ?? '';
    index = pattern.lastIndex;
  }
  return { command: head[1] ?? '', options, ...(focused ? { focused } : {}) };
}

interface ModalInput {
  custom_id: string;
  label?: string;
  placeholder?: string;
  required?: boolean;
  min_length?: number;
  max_length?: number;
  style?: number;
}

/**
 * A modal's text inputs, in order: inside action rows (type 1), or inside labels (type 18,
 * which carry the label themselves).
 */
export function modalInputs(modal: unknown): ModalInput[] {
  const rows = ((modal as { components?: unknown[] } | undefined)?.components ?? []) as {
    type?: number;
    label?: string;
    component?: ModalInput;
    components?: ModalInput[];
  }[];
  return rows.flatMap((row) =>
    row.component
      ? [{ ...row.component, label: row.label ?? row.component.label }]
      : (row.components ?? []),
  );
}

/** A form the bot opened: its title, each field with its rules, and how to answer it. */
export function renderModal(modal: unknown, answer = 'form'): string {
  const title = (modal as { title?: string } | undefined)?.title ?? '(untitled)';
  const inputs = modalInputs(modal);
  const lines = [`┌ Form: ${title}`];
  for (const input of inputs) {
    const rules = [
      input.required === false ? 'optional' : 'required',
      input.style === 2 ? 'paragraph' : null,
      input.min_length !== undefined ? `at least ${input.min_length}` : null,
      input.max_length !== undefined ? `at most ${input.max_length} characters` : null,
    ].filter(Boolean);
    lines.push(
      `│ ${input.custom_id}: ${input.label ?? ''} (${rules.join(', ')})${input.placeholder ? ` e.g. ${input.placeholder}` : ''}`,
    );
  }
  const example = inputs.map((i) => `${i.custom_id}:…`).join(' ');
  lines.push(`└ answer with: ${answer} ${example}`.trimEnd());
  return lines.join('\n');
}

/** Autocomplete choices as a member sees them in the picker (name, and the value it sends). */
export function renderChoices(choices: unknown[]): string {
  if (!choices.length) return '(no suggestions)';
  return (choices as { name?: string; value?: unknown }[])
    .map((c, index) => {
      const value = String(c.value ?? '');
      return `  ${index + 1}. ${c.name ?? value}${c.name !== undefined && c.name !== value ? `  → ${value}` : ''}`;
    })
    .join('\n');
}

/** Replies the bot marks as failures (errors ⚠️, refusals ⛔), and Discord giving up. */
export function isFailure(event: ConversationEvent): boolean {
  if (event.type === 'no-response') return true;
  const content = event.message?.content ?? '';
  return content.startsWith('⚠️') || content.startsWith('⛔');
}

/** One event of a conversation as the console and `npm run chat` print it. */
export function renderEvent(
  event: ConversationEvent,
  botName = 'ChatOps',
  /** How the reader answers a form (`form` in the console, `--form` for `npm run chat`). */
  formAnswer = 'form',
): string {
  const who = `${botName}${event.ephemeral ? ' (only you)' : ''}`;
  switch (event.type) {
    case 'no-response':
      return `✖ The application did not respond`;
    case 'deferred':
      return `${who} is thinking…`;
    case 'deferred-update':
      return `${who} is updating the message…`;
    case 'autocomplete':
      return `${who} suggests:\n${renderChoices(event.choices ?? [])}`;
    case 'modal':
      return `${who} opened a form:\n${renderModal(event.modal, formAnswer)}`;
    default: {
      const label =
        event.type === 'edit' ? ' (edited)' : event.type === 'update' ? ' (updated)' : '';
      const body = event.message
        ? renderMessage(event.message as Parameters<typeof renderMessage>[0])
        : '';
      const [first = '', ...more] = body.split('\n');
      return [`${who}${label} › ${first}`, ...more.map((line) => `    ${line}`)].join('\n');
    }
  }
}
