import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIButtonComponent,
} from 'discord.js';

/**
 * The two answers of a confirmation the API holds (go ahead, or keep things as they are);
 * `disabled` once answered or expired, so the message shows it is spent.
 */
export function confirmationButtons(
  go: { label: string; customId: string },
  keep: { label: string; customId: string },
  disabled = false,
): APIActionRowComponent<APIButtonComponent>[] {
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        {
          type: ComponentType.Button,
          style: ButtonStyle.Danger,
          label: go.label,
          custom_id: go.customId,
          disabled,
        },
        {
          type: ComponentType.Button,
          style: ButtonStyle.Secondary,
          label: keep.label,
          custom_id: keep.customId,
          disabled,
        },
      ],
    },
  ];
}
