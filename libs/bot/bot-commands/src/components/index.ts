import type { ComponentHandler } from '../command';
import { alertButtons, silenceButtons } from './alert-buttons';
import { backwardsButtonHandler } from './backwards-buttons';
import { deploymentButtons } from './deployment-buttons';
import { infraDestroyModal } from './infra-destroy';
import { rollbackButtons } from './rollback-buttons';

/** Buttons and modals the bot answers, by custom_id prefix. */
export const ALL_COMPONENTS: readonly ComponentHandler[] = [
  alertButtons,
  backwardsButtonHandler,
  deploymentButtons,
  infraDestroyModal,
  rollbackButtons,
  silenceButtons,
];
