import { Writable } from 'node:stream';
import { createLogger, scrubSecrets } from './logger';

function capture(): {
  lines: () => Record<string, unknown>[];
  raw: () => string;
  stream: Writable;
} {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    raw: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes JSON with a level label and ISO time', () => {
    const out = capture();
    createLogger({ name: 'api', level: 'info', destination: out.stream }).info(
      { requestId: 'r1' },
      'hello',
    );
    expect(out.lines()[0]).toMatchObject({
      level: 'info',
      name: 'api',
      requestId: 'r1',
      msg: 'hello',
    });
    expect(String(out.lines()[0]?.['time'])).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('redacts credential headers and fields', () => {
    const out = capture();
    createLogger({ name: 'api', level: 'info', destination: out.stream }).info({
      req: {
        headers: {
          authorization: 'Bearer abc',
          cookie: 'sid=1',
          'x-hub-signature-256': 'sha256=ff',
        },
      },
      discord: { token: 'tok' },
    });
    const [line] = out.lines();
    expect(line).toMatchObject({
      req: {
        headers: {
          authorization: '[Redacted]',
          cookie: '[Redacted]',
          'x-hub-signature-256': '[Redacted]',
        },
      },
      discord: { token: '[Redacted]' },
    });
  });

  it('scrubs configured secret values from anywhere in the line', () => {
    const out = capture();
    const secret = 'MTA5.secret"token';
    createLogger({ name: 'bot', level: 'info', destination: out.stream, secrets: [secret] }).error(
      { err: new Error(`login failed with ${secret}`) },
      `retrying ${secret}`,
    );
    expect(out.raw()).not.toContain('MTA5.secret');
    expect(out.lines()[0]?.['msg']).toBe('retrying [REDACTED]');
  });

  it('ignores short or missing secrets rather than masking common words', () => {
    expect(scrubSecrets('info ok', ['ok', ''])).toBe('info ok');
  });
});
