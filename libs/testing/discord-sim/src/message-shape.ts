/** How Discord answers a stored message's parts (what it adds to what the sender gave). */

/** An embed as Discord answers it: `type` rich unless set, each field's `inline` explicit. */
export function asEmbedResponse(embed: Record<string, unknown>): Record<string, unknown> {
  const fields = embed['fields'] as Record<string, unknown>[] | undefined;
  return {
    type: 'rich',
    ...embed,
    ...(fields ? { fields: fields.map((f) => ({ inline: false, ...f })) } : {}),
  };
}

/** Components numbered depth first from 1 where the sender gave no `id`, as Discord does. */
export function withComponentIds(components: Record<string, unknown>[]): Record<string, unknown>[] {
  let next = 0;
  const number = (component: Record<string, unknown>): Record<string, unknown> => {
    const id = typeof component['id'] === 'number' ? component['id'] : ++next;
    const children = component['components'] as Record<string, unknown>[] | undefined;
    return { ...component, id, ...(children ? { components: children.map(number) } : {}) };
  };
  return components.map(number);
}
