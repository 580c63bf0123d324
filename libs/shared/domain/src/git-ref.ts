/**
 * Git refs as users type them in `/deploy ref:`: a branch, a tag or a commit SHA. The rules are
 * stricter than git's own (`git check-ref-format`): plain ASCII letters, digits and `._/-`
 * only, so nothing a shell, a URL or a workflow expression could interpret ever gets through.
 */
export const GIT_REF_MAX_LENGTH = 100;

const ALLOWED = /^[A-Za-z0-9._/-]+$/;

export type GitRefCheck = { ok: true; ref: string } | { ok: false; problem: string };

export function checkGitRef(input: string): GitRefCheck {
  const ref = input;
  if (ref.length === 0) return { ok: false, problem: 'the ref is empty' };
  if (ref.length > GIT_REF_MAX_LENGTH) {
    return {
      ok: false,
      problem: `the ref is ${ref.length} characters long; at most ${GIT_REF_MAX_LENGTH} are allowed`,
    };
  }
  if (!ALLOWED.test(ref)) {
    const offending = [...ref].find((c) => !ALLOWED.test(c)) ?? '';
    const shown = /^[\x21-\x7e]$/.test(offending)
      ? `"${offending}"`
      : `U+${(offending.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    return {
      ok: false,
      problem: `the ref contains ${shown}; only ASCII letters, digits and . _ / - are allowed`,
    };
  }
  if (ref.startsWith('-')) return { ok: false, problem: 'the ref starts with "-"' };
  if (ref.startsWith('/') || ref.endsWith('/'))
    return { ok: false, problem: 'the ref starts or ends with "/"' };
  if (ref.includes('..')) return { ok: false, problem: 'the ref contains ".."' };
  if (ref.includes('//')) return { ok: false, problem: 'the ref contains "//"' };
  if (ref.endsWith('.') || ref.endsWith('.lock'))
    return { ok: false, problem: 'the ref ends with "." or ".lock"' };
  if (ref.split('/').some((part) => part.startsWith('.')))
    return { ok: false, problem: 'a part of the ref starts with "."' };
  return { ok: true, ref };
}

export function isGitRef(input: string): boolean {
  return checkGitRef(input).ok;
}
