import { fitLines, fitText, plainText } from './limits';

describe('plainText', () => {
  it('shows markdown, mentions, timestamps and links as typed', () => {
    expect(plainText('**bold** _it_ `code` ~~s~~ ||spoiler|| > quote')).toBe(
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ \\|\\|spoiler\\|\\| \\> quote',
    );
    expect(plainText('<@&123> <t:1:R> [click](https://evil.example) # Head')).toBe(
      '\\<\\@&123\\> \\<t\\:1\\:R\\> \\[click\\]\\(https\\://evil.example\\) \\# Head',
    );
  });

  it('drops control characters, flattens line breaks and keeps plain names as they are', () => {
    expect(plainText('ali\u0000ce\n# not a heading\r\n- nor a list')).toBe(
      'alice \\# not a heading \\- nor a list',
    );
    expect(plainText('alice')).toBe('alice');
  });

  it('cuts to the limit without splitting an escape or a character', () => {
    const cut = plainText('*'.repeat(50), 10);
    expect(cut).toBe('\\*\\*\\*\\*…');
    expect(cut.length).toBeLessThanOrEqual(10);
    expect(plainText('😀'.repeat(10), 5)).toBe('😀😀…');
    expect(fitText('abc', 3)).toBe('abc');
  });
});

describe('fitLines', () => {
  it('keeps every line that fits', () => {
    expect(fitLines(['a', 'b'], 100)).toBe('a\nb');
    expect(fitLines([], 100)).toBe('');
  });

  it('keeps whole lines and counts the rest, the marker within the limit', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${String(i).padStart(2, '0')}`);
    const fitted = fitLines(lines, 100);
    expect(fitted.length).toBeLessThanOrEqual(100);
    const kept = fitted.split('\n');
    const shown = kept.length - 1;
    expect(kept.slice(0, shown)).toEqual(lines.slice(0, shown));
    expect(kept[shown]).toBe(`…and ${50 - shown} more`);
  });
});
