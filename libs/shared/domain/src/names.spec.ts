import { isResourceName, isSnowflake } from './names';

describe('resource names', () => {
  it.each(['api', 'staging', 'web-2', 'a'])('accepts %s', (name) => {
    expect(isResourceName(name)).toBe(true);
  });

  it.each(['', 'API', '-api', 'api-', 'api;ls', 'a b', '2api', 'x'.repeat(33), '../etc'])(
    'rejects %j',
    (name) => {
      expect(isResourceName(name)).toBe(false);
    },
  );

  it('recognises Discord snowflakes', () => {
    expect(isSnowflake('123456789012345678')).toBe(true);
    expect(isSnowflake('Developers')).toBe(false);
  });
});
