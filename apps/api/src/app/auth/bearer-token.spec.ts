import { bearerTokenOf, sameSecret } from './bearer-token';

describe('bearer tokens', () => {
  it('reads the token of an Authorization: Bearer header, and nothing else', () => {
    expect(bearerTokenOf('Bearer s3cret')).toBe('s3cret');
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'bearer s3cret',
      'Basic czM=',
      'Bearer a b',
      ['Bearer x'],
    ])
      expect(bearerTokenOf(header)).toBeUndefined();
  });

  it('compares secrets of any length, equal only when they are the same', () => {
    expect(sameSecret('s3cret', 's3cret')).toBe(true);
    expect(sameSecret('s3cre', 's3cret')).toBe(false);
    expect(sameSecret('s3cret-and-more', 's3cret')).toBe(false);
    expect(sameSecret('', 's3cret')).toBe(false);
  });
});
