import { GroupCommit } from './group-commit';

describe('GroupCommit', () => {
  it('commits concurrent writes together, answering each caller with its own result', async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number, string>(async (items) => {
      batches.push(items);
      await new Promise((r) => setTimeout(r, 10));
      return items.map((i) => `stored ${i}`);
    });
    const first = await Promise.all([1, 2, 3].map((i) => group.add(i)));
    expect(first).toEqual(['stored 1', 'stored 2', 'stored 3']);
    const later = group.add(4);
    const during = new Promise((r) => setTimeout(r, 1)).then(() => group.add(5));
    expect(await Promise.all([later, during])).toEqual(['stored 4', 'stored 5']);
    expect(batches).toEqual([[1, 2, 3], [4], [5]]);
  });

  it('fails every caller of a batch whose commit failed, and goes on with the next', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      if (calls++ === 0) throw new Error('disk full');
      return items;
    });
    const failed = await Promise.allSettled([group.add(1), group.add(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await group.add(3)).toBe(3);
  });
});
