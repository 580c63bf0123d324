import { eventually } from './eventually';

describe('eventually', () => {
  it('returns the first defined value, treating a throwing probe as not yet', async () => {
    let calls = 0;
    const value = await eventually(
      'the third call',
      async () => {
        calls++;
        if (calls === 1) throw new Error('refused');
        return calls === 3 ? 'ready' : undefined;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('ready');
    expect(calls).toBe(3);
  });

  it('says what it waited for, the last error and the context when time runs out', async () => {
    await expect(
      eventually(
        'the moon',
        async () => {
          throw new Error('connection refused');
        },
        { timeoutMs: 30, intervalMs: 5, context: async () => 'deployments: []' },
      ),
    ).rejects.toThrow(
      'timed out waiting for the moon; last error: connection refused; deployments: []',
    );
  });
});
