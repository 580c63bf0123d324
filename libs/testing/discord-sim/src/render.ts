/** Plain-text rendering of Discord messages for the console and `npm run chat`. */
export interface RenderableMessage {
  content?: string | null;
  embeds?: {
    title?: string;
    description?: string;
    url?: string;
    fields?: { name: string; value: string; inline?: boolean }[];
    footer?: { text: string };
    author?: { name: string };
  }[];
  components?: {
    components?: {
      type?: number;
      label?: string;
      style?: number;
      url?: string;
      disabled?: boolean;
    }[];
  }[];
}

const BUTTON = 2;
const LINK_STYLE = 5;

/** Markdown stays as it is (people read it fine); embeds become boxes, buttons `[Label]`. */
export function renderMessage(message: RenderableMessage): string {
  const lines: string[] = [];
  if (message.content) lines.push(...message.content.split('\n'));
  for (const embed of message.embeds ?? []) {
    if (embed.author?.name) lines.push(`┌ ${embed.author.name}`);
    if (embed.title)
      lines.push(
        `${embed.author?.name ? '│' : '┌'} ${embed.title}${embed.url ? ` <${embed.url}>` : ''}`,
      );
    for (const line of (embed.description ?? '').split('\n').filter(Boolean))
      lines.push(`│ ${line}`);
    for (const field of embed.fields ?? []) {
      lines.push(`│ ${field.name}: ${field.value.split('\n').join(' / ')}`);
    }
    lines.push(`└${embed.footer?.text ? ` ${embed.footer.text}` : '─'}`);
  }
  const buttons = (message.components ?? []).map((row) =>
    (row.components ?? [])
      .filter((c) => c.type === BUTTON)
      .map(
        (c) =>
          `[${c.label ?? '…'}]${c.style === LINK_STYLE && c.url ? `(${c.url})` : ''}${c.disabled ? ' (disabled)' : ''}`,
      )
      .join(' '),
  );
  lines.push(...buttons.filter(Boolean));
  return lines.join('\n');
}
