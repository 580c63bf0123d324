import type { BotCommand } from '../command';
import { alertsCommand } from './alerts';
import { alertsRequeueCommand } from './alerts-requeue';
import { amiCommand } from './ami';
import { auditCommand } from './audit';
import { deployCommand } from './deploy';
import { deployCancelCommand } from './deploy-cancel';
import { doraCommand } from './dora';
import { helpCommand } from './help';
import { infraCommand } from './infra';
import { lockCommand } from './lock';
import { pingCommand } from './ping';
import { promoteCommand } from './promote';
import { redeployCommand } from './redeploy';
import { rollbackCommand } from './rollback';
import { runsCommand } from './runs';
import { silencesCommand } from './silences';
import { statusCommand } from './status';
import { unlockCommand } from './unlock';

/** Every slash command the bot serves: one file each in this folder, listed here once. */
export const ALL_COMMANDS: readonly BotCommand[] = [
  alertsCommand,
  alertsRequeueCommand,
  amiCommand,
  auditCommand,
  deployCommand,
  deployCancelCommand,
  doraCommand,
  helpCommand,
  infraCommand,
  lockCommand,
  pingCommand,
  promoteCommand,
  redeployCommand,
  rollbackCommand,
  runsCommand,
  silencesCommand,
  statusCommand,
  unlockCommand,
];
