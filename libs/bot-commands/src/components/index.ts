import type { ComponentHandler } from '../command';
import { alertButtons, silenceButtons } from './alert-buttons';
import { deploymentButtons } from './deployment-buttons';
import { infraDestroyModal } from './infra-destroy';
import { rollbackButtons } from './rollback-buttons';

/** Buttons and modals the bot answers, by custom_id prefix. */
export const ALL_COMPONENTS: readonly ComponentHandler[] = [
  alertButtons,
  deploymentButtons,
  infraDestroyModal,
  rollbackButtons,
  silenceButtons,
];
