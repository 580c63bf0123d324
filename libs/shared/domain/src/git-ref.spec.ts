import { checkGitRef, isGitRef } from './git-ref';

describe('git refs', () => {
  it.each([
    'main',
    'release/2026.11',
    'feature/login-v2',
    'v1.2.3',
    'a1b2c3d',
    'deadbeef'.repeat(5),
    'user_42/fix',
  ])('accepts %s', (ref) => {
    expect(checkGitRef(ref)).toEqual({ ok: true, ref });
  });

  it.each([
    ['main;reboot', 'the ref contains ";"'],
    ['$(id)', 'the ref contains "$"'],
    ['`id`', 'the ref contains "`"'],
    ['main && curl x', 'the ref contains U+0020'],
    ['x'.repeat(300), 'the ref is 300 characters long; at most 100 are allowed'],
    ['mаin', 'the ref contains U+0430'], // Cyrillic a
    ['ｍain', 'the ref contains U+FF4D'], // full-width m
    ['main\u200b', 'the ref contains U+200B'], // zero-width space
    ['-rf', 'the ref starts with "-"'],
    ['--upload-pack=evil', 'the ref contains "="'],
    ['../../etc/passwd', 'the ref contains ".."'],
    ['feature//x', 'the ref contains "//"'],
    ['/main', 'the ref starts or ends with "/"'],
    ['main.lock', 'the ref ends with "." or ".lock"'],
    ['release/.hidden', 'a part of the ref starts with "."'],
    ['main\nrm', 'the ref contains U+000A'],
    ['${{ secrets.TOKEN }}', 'the ref contains "$"'],
    ['', 'the ref is empty'],
  ])('refuses %j: %s', (ref, problem) => {
    expect(checkGitRef(ref)).toEqual({ ok: false, problem: expect.stringContaining(problem) });
    expect(isGitRef(ref)).toBe(false);
  });
});
