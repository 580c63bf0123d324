/**
 * Names that travel from Discord into API calls, workflow inputs and SSM parameters.
 * They are checked against these patterns before anything else happens to them.
 */
export const RESOURCE_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export const RESOURCE_NAME_RULE =
  'lowercase letters, digits and hyphens, starting with a letter, at most 32 characters';

export function isResourceName(value: string): boolean {
  return RESOURCE_NAME_PATTERN.test(value);
}

/** Discord snowflake ids are 17–20 digit integers. */
export const SNOWFLAKE_PATTERN = /^\d{17,20}$/;

export function isSnowflake(value: string): boolean {
  return SNOWFLAKE_PATTERN.test(value);
}
