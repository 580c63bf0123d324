import { checkImageVersion, ecrImageIdOf, ecrRepositoryOf } from './image-version';

describe('checkImageVersion', () => {
  it.each([
    'v1.4.0',
    '1f2e3d4',
    'main-20261121.1',
    '_build',
    `sha256:${'a'.repeat(64)}`,
    'x'.repeat(128),
  ])('accepts %s', (version) => expect(checkImageVersion(version)).toEqual({ ok: true, version }));

  it.each([
    ['', 'the version is empty'],
    ['x'.repeat(129), 'the version is 129 characters long; at most 128 are allowed'],
    ['v1;reboot', /image tag/],
    ['$(id)', /image tag/],
    ['v1 v2', /image tag/],
    ['v1\n', /image tag/],
    ['-v1', /image tag/],
    ['.hidden', /image tag/],
    ['v1&&curl', /image tag/],
    ['vı', /image tag/], // dotless i
    ['sha256:abc', /image tag/],
  ])('refuses %j', (version, problem) => {
    const result = checkImageVersion(version);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toMatch(problem);
  });
});

describe('ecrRepositoryOf', () => {
  it('reads the registry, region and repository of an ECR image', () => {
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com/chatops-api')).toEqual({
      registryId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'chatops-api',
    });
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api')).toEqual(
      expect.objectContaining({ repositoryName: 'team/api' }),
    );
  });

  it('knows nothing of other registries', () => {
    expect(ecrRepositoryOf('ghcr.io/acme/api')).toBeNull();
    expect(ecrRepositoryOf('12345678901.dkr.ecr.eu-west-1.amazonaws.com/api')).toBeNull();
    expect(ecrRepositoryOf('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io/api')).toBeNull();
  });

  it('names an image by tag, or by digest for a sha256: version', () => {
    expect(ecrImageIdOf('v1.2.0')).toEqual({ imageTag: 'v1.2.0' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(ecrImageIdOf(digest)).toEqual({ imageDigest: digest });
  });
});
