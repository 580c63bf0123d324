/**
 * An image version as `/redeploy version:` takes it and Parameter Store keeps it: a Docker tag
 * (letters, digits, `_ . -`, not starting with `.` or `-`, at most 128 characters) or a
 * `sha256:` digest. The host's redeploy.sh and the SSM document's allowedPattern use this very
 * pattern (a test compares them), so a version is checked three times before it is used.
 */
export const IMAGE_VERSION_PATTERN = /^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$/;

export type ImageVersionCheck = { ok: true; version: string } | { ok: false; problem: string };

export function checkImageVersion(input: string): ImageVersionCheck {
  if (input.length === 0) return { ok: false, problem: 'the version is empty' };
  if (input.length > 128 && !input.startsWith('sha256:'))
    return {
      ok: false,
      problem: `the version is ${input.length} characters long; at most 128 are allowed`,
    };
  if (!IMAGE_VERSION_PATTERN.test(input))
    return {
      ok: false,
      problem:
        'the version must be an image tag (letters, digits, _ . -, not starting with . or -) or a sha256: digest',
    };
  return { ok: true, version: input };
}
