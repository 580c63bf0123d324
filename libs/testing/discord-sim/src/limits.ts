import { errors, DiscordHttpError } from './errors';

/** Discord's documented message limits. */
export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTotal: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  actionRows: 5,
  componentsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
} as const;

interface EmbedLike {
  title?: string;
  description?: string;
  fields?: { name?: string; value?: string }[];
  footer?: { text?: string };
  author?: { name?: string };
}

interface ComponentLike {
  type?: number;
  custom_id?: string;
  label?: string;
  components?: ComponentLike[];
}

export interface MessageBody {
  content?: string | null;
  embeds?: EmbedLike[] | null;
  components?: ComponentLike[] | null;
  flags?: number;
  /** Whom the message may ping; Discord parses mentions from the content when it is absent. */
  allowed_mentions?: Record<string, unknown> | null;
  /** A reply: the message it answers. */
  message_reference?: Record<string, unknown> | null;
}

type FieldErrors = Record<string, unknown>;

/**
 * Checks a message body against Discord's limits; a violation is a 400 with Discord's
 * "Invalid Form Body" shape, errors keyed by the offending path.
 */
export function validateMessage(
  body: MessageBody,
  { requireContent }: { requireContent: boolean },
): void {
  const problems: FieldErrors = {};
  const add = (path: string[], code: string, message: string) => {
    let node = problems as Record<string, unknown>;
    for (const key of path) node = (node[key] ??= {}) as Record<string, unknown>;
    ((node['_errors'] ??= []) as unknown[]).push({ code, message });
  };
  const maxLength = (path: string[], value: string | undefined, max: number) => {
    if (value !== undefined && value !== null && value.length > max) {
      add(path, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    }
  };

  maxLength(['content'], body.content ?? undefined, LIMITS.content);
  const embeds = body.embeds ?? [];
  if (embeds.length > LIMITS.embeds)
    add(['embeds'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embeds} or fewer in length.`);
  let total = 0;
  embeds.forEach((embed, i) => {
    const at = (...rest: string[]) => ['embeds', String(i), ...rest];
    maxLength(at('title'), embed.title, LIMITS.title);
    maxLength(at('description'), embed.description, LIMITS.description);
    maxLength(at('footer', 'text'), embed.footer?.text, LIMITS.footer);
    maxLength(at('author', 'name'), embed.author?.name, LIMITS.author);
    const fields = embed.fields ?? [];
    if (fields.length > LIMITS.fields)
      add(at('fields'), 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.fields} or fewer in length.`);
    fields.forEach((field, j) => {
      maxLength(at('fields', String(j), 'name'), field.name, LIMITS.fieldName);
      maxLength(at('fields', String(j), 'value'), field.value, LIMITS.fieldValue);
      total += (field.name?.length ?? 0) + (field.value?.length ?? 0);
    });
    total +=
      (embed.title?.length ?? 0) +
      (embed.description?.length ?? 0) +
      (embed.footer?.text?.length ?? 0) +
      (embed.author?.name?.length ?? 0);
  });
  if (total > LIMITS.embedTotal)
    add(
      ['embeds'],
      'MAX_EMBED_SIZE_EXCEEDED',
      `Embed size exceeds maximum size of ${LIMITS.embedTotal}`,
    );

  const rows = body.components ?? [];
  if (rows.length > LIMITS.actionRows)
    add(['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.actionRows} or fewer in length.`);
  rows.forEach((row, i) => {
    const children = row.components ?? [];
    if (children.length > LIMITS.componentsPerRow) {
      add(
        ['components', String(i), 'components'],
        'BASE_TYPE_MAX_LENGTH',
        `Must be ${LIMITS.componentsPerRow} or fewer in length.`,
      );
    }
    children.forEach((component, j) => {
      const at = ['components', String(i), 'components', String(j)];
      maxLength([...at, 'custom_id'], component.custom_id, LIMITS.customId);
      maxLength([...at, 'label'], component.label, LIMITS.buttonLabel);
    });
  });

  if (Object.keys(problems).length > 0) throw errors.invalidForm(problems);
  if (requireContent && !body.content && embeds.length === 0 && rows.length === 0)
    throw errors.emptyMessage();
}

export function isDiscordError(error: unknown): error is DiscordHttpError {
  return error instanceof DiscordHttpError;
}
