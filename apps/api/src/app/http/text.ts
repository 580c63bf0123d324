import { z } from 'zod';
import { RESOURCE_NAME_PATTERN } from '@chatops/domain';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Text a client sends: bounded, and free of control characters. None belongs in a name, a ref,
 * a version or a reason, and PostgreSQL cannot store a NUL at all (it would be a 500 there and a
 * 400 on SQLite): refused here, with the field named, whatever the backend.
 */
export function text(max: number, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), {
      message: 'must not contain control characters',
    });
}

/** A service or environment name as the catalog spells them (checked against it after). */
export const catalogName = z
  .string()
  .regex(RESOURCE_NAME_PATTERN, { message: 'must be a catalog name' });
