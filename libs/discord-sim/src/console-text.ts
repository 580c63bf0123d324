import type { ConversationEvent } from './interaction';
import { renderMessage } from './render';

export interface ParsedCommand {
  command: string;
  options: Record<string, string>;
}

/**
 * `/deploy service:api env:staging ref:"release 1"` → { command: 'deploy', options: {...} }.
 * Values may be quoted with " or '.
 */
export function parseCommandLine(line: string): ParsedCommand {
  const trimmed = line.trim();
  const head = /^\/([-_\p{L}\p{N}]{1,32})(?:\s+|$)/u.exec(trimmed);
  if (!head)
    throw new Error(
      'type a slash command, for example /help or /deploy service:api env:staging ref:main',
    );
  const options: Record<string, string> = {};
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
    options[match[1] ?? ''] = match[2] ?? match[3] ?? match[4] ?? '';
    index = pattern.lastIndex;
  }
  return { command: head[1] ?? '', options };
}

/** Replies the bot marks as failures (errors ⚠️, refusals ⛔), and Discord giving up. */
export function isFailure(event: ConversationEvent): boolean {
  if (event.type === 'no-response') return true;
  const content = event.message?.content ?? '';
  return content.startsWith('⚠️') || content.startsWith('⛔');
}

/** One event of a conversation as the console and `npm run chat` print it. */
export function renderEvent(event: ConversationEvent, botName = 'ChatOps'): string {
  const who = `${botName}${event.ephemeral ? ' (only you)' : ''}`;
  switch (event.type) {
    case 'no-response':
      return `✖ The application did not respond`;
    case 'deferred':
      return `${who} is thinking…`;
    case 'deferred-update':
      return `${who} is updating the message…`;
    case 'autocomplete':
      return `${who} suggests: ${JSON.stringify(event.choices ?? [])}`;
    case 'modal':
      return `${who} opened a form (not supported in the console)`;
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
