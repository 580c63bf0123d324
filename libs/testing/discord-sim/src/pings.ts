import { errors } from './errors';
import type { MessagePings } from './interaction';
import type { MessageBody } from './limits';

const MENTION_KINDS = ['roles', 'users', 'everyone'] as const;

/**
 * Whom a post notifies, by Discord's rules for `allowed_mentions`: without it, every mention in
 * the content; with it, only the kinds in `parse` and the ids in `roles` / `users` (at most 100
 * each; a kind both parsed and listed is a 400).
 */
export function pingsOf(body: MessageBody): MessagePings {
  const content = body.content ?? '';
  const mentioned = (pattern: RegExp) => [
    ...new Set([...content.matchAll(pattern)].map((m) => m[1] ?? '')),
  ];
  const roles = mentioned(/<@&(\d{17,20})>/g);
  const users = mentioned(/<@!?(\d{17,20})>/g);
  const everyone = /@(everyone|here)/.test(content);
  const allowed = body.allowed_mentions;
  if (!allowed) return { roles, users, everyone };
  const parse = Array.isArray(allowed['parse']) ? (allowed['parse'] as unknown[]) : [];
  const problems: Record<string, unknown> = {};
  for (const kind of parse)
    if (!MENTION_KINDS.includes(kind as (typeof MENTION_KINDS)[number]))
      problems['parse'] = {
        _errors: [
          {
            code: 'BASE_TYPE_CHOICES',
            message: `Value must be one of ${MENTION_KINDS.join(', ')}.`,
          },
        ],
      };
  const listed = (kind: 'roles' | 'users'): string[] | null => {
    const ids = allowed[kind];
    if (ids === undefined) return null;
    if (!Array.isArray(ids) || ids.length > 100 || ids.some((id) => typeof id !== 'string'))
      problems[kind] = {
        _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be 100 or fewer in length.' }],
      };
    else if (parse.includes(kind))
      problems[kind] = {
        _errors: [
          {
            code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
            message: `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`,
          },
        ],
      };
    return Array.isArray(ids) ? (ids as string[]) : null;
  };
  const allowedRoles = listed('roles');
  const allowedUsers = listed('users');
  if (Object.keys(problems).length) throw errors.invalidForm({ allowed_mentions: problems });
  return {
    roles: parse.includes('roles') ? roles : roles.filter((id) => allowedRoles?.includes(id)),
    users: parse.includes('users') ? users : users.filter((id) => allowedUsers?.includes(id)),
    everyone: everyone && parse.includes('everyone'),
  };
}
