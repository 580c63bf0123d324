import { goesBackwards, isCommitSha, parsePlanSummary } from './deployment-change';

describe('parsePlanSummary (text from a workflow annotation)', () => {
  it('reads the counts and resources the infra workflow announces', () => {
    expect(
      parsePlanSummary('{"add":1,"change":0,"destroy":2,"resources":["create aws_lb.api"]}'),
    ).toEqual({ add: 1, change: 0, destroy: 2, resources: ['create aws_lb.api'] });
  });

  it('refuses what is not a summary, and bounds what it keeps', () => {
    expect(parsePlanSummary('not json')).toBeNull();
    expect(parsePlanSummary('null')).toBeNull();
    expect(parsePlanSummary('{"add":-1,"change":0,"destroy":0,"resources":[]}')).toBeNull();
    expect(parsePlanSummary('{"add":1.5,"change":0,"destroy":0,"resources":[]}')).toBeNull();
    expect(parsePlanSummary('{"add":1,"change":0,"destroy":0}')).toBeNull();
    const many = parsePlanSummary(
      JSON.stringify({
        add: 30,
        change: 0,
        destroy: 0,
        resources: [...Array.from({ length: 30 }, () => 'x'.repeat(500)), 7],
      }),
    );
    expect(many?.resources).toHaveLength(20);
    expect(many?.resources.every((r) => r.length === 300)).toBe(true);
  });
});

describe('what a change is', () => {
  it('calls a target that is an ancestor of what runs backwards, nothing else', () => {
    const compare = (status: 'ahead' | 'behind' | 'identical' | 'diverged') => ({
      target: null,
      current: null,
      compare: { status, aheadBy: 0, behindBy: 0, commits: [], url: null },
      unavailable: null,
    });
    expect(goesBackwards(compare('behind'))).toBe(true);
    expect(goesBackwards(compare('diverged'))).toBe(false);
    expect(goesBackwards(compare('ahead'))).toBe(false);
    expect(goesBackwards(null)).toBe(false);
    expect(isCommitSha('7916d7b')).toBe(true);
    expect(isCommitSha('v1.4.0')).toBe(false);
  });
});
