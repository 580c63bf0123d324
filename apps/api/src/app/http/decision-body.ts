import { z } from 'zod';
import { text } from './text';

const actor = z.strictObject({ id: text(64, 1), name: text(100, 1) });
const roles = z.strictObject({
  ids: z.array(text(64)).max(250),
  names: z.array(text(100)).max(250).optional(),
});

/** Who acts (the member, their roles, where they pressed): every body the bot sends carries it. */
export const decisionFields = { actor, roles, source: text(200).nullish() };

/** The body of a decision (approve, reject, cancel, requeue…): who decides, nothing else. */
export const decisionBody = z.strictObject(decisionFields);
