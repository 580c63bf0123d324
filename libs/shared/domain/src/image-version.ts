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

/** Where an image of a catalog service lives when its registry is ECR. */
export interface EcrRepository {
  registryId: string;
  region: string;
  repositoryName: string;
}

const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._/-]+)$/;

/** The ECR repository of a catalog `image` (null: another registry, which ECR cannot answer for). */
export function ecrRepositoryOf(image: string): EcrRepository | null {
  const [, registryId, region, repositoryName] = ECR_IMAGE.exec(image) ?? [];
  if (!registryId || !region || !repositoryName) return null;
  return { registryId, region, repositoryName };
}

/** How ECR names one image: by its tag or, for a `sha256:` version, by its digest. */
export function ecrImageIdOf(version: string): { imageTag: string } | { imageDigest: string } {
  return version.startsWith('sha256:') ? { imageDigest: version } : { imageTag: version };
}
