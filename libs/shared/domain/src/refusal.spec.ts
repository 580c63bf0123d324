import { isRefusalReason, Refusal } from './refusal';

describe('Refusal', () => {
  it('carries a reason, a message, each problem and what a client needs to answer it', () => {
    const refusal = new Refusal('invalid', 'two problems', ['a: bad', 'b: bad'], { x: 1 });
    expect(refusal).toBeInstanceOf(Error);
    expect(refusal).toMatchObject({
      reason: 'invalid',
      message: 'two problems',
      problems: ['a: bad', 'b: bad'],
      details: { x: 1 },
    });
  });

  it('is audited as rejected when the request was refused, failed when a system failed', () => {
    expect(new Refusal('denied', 'no').outcome).toBe('rejected');
    expect(new Refusal('locked', 'held').outcome).toBe('rejected');
    expect(new Refusal('aws', 'AccessDenied').outcome).toBe('failed');
    expect(new Refusal('timeout', 'slow').outcome).toBe('failed');
  });

  it('knows its reasons', () => {
    expect(isRefusalReason('needs-confirmation')).toBe(true);
    expect(isRefusalReason('teapot')).toBe(false);
  });
});
