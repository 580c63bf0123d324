import { faultControl, FaultPlan } from './faults';

describe('FaultPlan', () => {
  it('answers the next matching requests with their status, each once, in order', () => {
    const plan = new FaultPlan();
    plan.failNext(/^POST /, 2, 502);
    plan.failNext(/./, 1, 429);
    expect(plan.take('GET /a')).toBe(429);
    expect(plan.take('GET /a')).toBeNull();
    expect(plan.take('POST /a')).toBe(502);
    expect(plan.take('POST /a')).toBe(502);
    expect(plan.take('POST /a')).toBeNull();
  });

  it('drops connections during an outage, until it ends or is cleared', () => {
    const plan = new FaultPlan();
    plan.outage(60_000);
    expect(plan.down).toBe(true);
    plan.clear();
    expect(plan.down).toBe(false);
  });

  it('is switched over HTTP with checked values', () => {
    const plan = new FaultPlan();
    expect(faultControl(plan, 'GET', '/_sim/state', {})).toBeNull();
    expect(
      faultControl(plan, 'POST', '/_sim/github/faults', {
        route: 'dispatches$',
        count: 2,
        status: 502,
      }),
    ).toEqual({
      status: 200,
      body: { pending: [{ route: 'dispatches$', remaining: 2, status: 502 }] },
    });
    expect(plan.take('POST /repos/a/b/actions/workflows/x/dispatches')).toBe(502);
    for (const bad of [{ count: 0 }, { status: 200 }, { route: '(' }, { outageMs: -1 }])
      expect(faultControl(plan, 'POST', '/_sim/faults', bad)?.status).toBe(400);
    expect(faultControl(plan, 'POST', '/_sim/aws/faults', { outageMs: 1000 })?.status).toBe(200);
    expect(plan.down).toBe(true);
    expect(faultControl(plan, 'DELETE', '/_sim/faults', {})?.status).toBe(200);
    expect(plan.down).toBe(false);
    expect(plan.pending()).toEqual([]);
  });
});
