/** The published API descriptions a stand-in's traffic is held to. */
export type DescribedApi = 'discord' | 'github' | 'github-webhooks';

/** One body checked against its description: a request, a response or a webhook delivery. */
export interface CheckedBody {
  api: DescribedApi;
  direction: 'request' | 'response' | 'delivery';
  /** `METHOD /path/{template}` as the description names it, or the webhook `event.action`. */
  operation: string;
  status?: number;
  /** Empty: the body conforms. */
  problems: string[];
}

/** A violation a test provokes on purpose (an invalid body sent to see the refusal). */
export interface ExpectedViolation {
  api: DescribedApi;
  operation: RegExp;
  /** Matched against each problem; omitted: any problem. */
  problem?: RegExp;
}

export interface ConformanceCounts {
  checked: number;
  conforming: number;
  expected: number;
  unexpected: number;
}

export interface ConformanceReport {
  summary: Partial<Record<DescribedApi, ConformanceCounts>>;
  unexpected: CheckedBody[];
}

/**
 * What the stand-ins' traffic in this process (under Jest: this test file) did against the
 * published descriptions. The stand-ins record into it; the Jest setup fails the file on any
 * violation nobody marked as expected.
 */
export class ConformanceLedger {
  private readonly counts = new Map<DescribedApi, ConformanceCounts>();
  private readonly unexpected: CheckedBody[] = [];
  private readonly expectations: ExpectedViolation[] = [];

  record(body: CheckedBody): void {
    const counts = this.countsOf(body.api);
    counts.checked++;
    if (!body.problems.length) {
      counts.conforming++;
      return;
    }
    const expected = this.expectations.some(
      (e) =>
        e.api === body.api &&
        e.operation.test(body.operation) &&
        (!e.problem || body.problems.some((p) => e.problem?.test(p))),
    );
    if (expected) counts.expected++;
    else {
      counts.unexpected++;
      this.unexpected.push(body);
    }
  }

  /** Bodies matching this are violations the test means to provoke (until the test ends). */
  expectViolation(violation: ExpectedViolation): void {
    this.expectations.push(violation);
  }

  /** The test that expected violations ended (the Jest setup calls it after each test). */
  clearExpectations(): void {
    this.expectations.splice(0);
  }

  /** The unexpected violations so far, forgotten once taken. */
  takeUnexpected(): CheckedBody[] {
    return this.unexpected.splice(0);
  }

  /** Counts and unexpected violations so far, left in place (what another process reads). */
  report(): ConformanceReport {
    return { summary: this.summary(), unexpected: [...this.unexpected] };
  }

  /** What another process's stand-ins (the sandbox's) recorded, counted here as well. */
  absorb(report: ConformanceReport): void {
    for (const [api, counts] of Object.entries(report.summary) as [
      DescribedApi,
      ConformanceCounts,
    ][]) {
      const mine = this.countsOf(api);
      for (const key of Object.keys(mine) as (keyof ConformanceCounts)[]) mine[key] += counts[key];
    }
    this.unexpected.push(...report.unexpected);
  }

  summary(): Partial<Record<DescribedApi, ConformanceCounts>> {
    return Object.fromEntries([...this.counts].map(([api, c]) => [api, { ...c }]));
  }

  reset(): void {
    this.counts.clear();
    this.unexpected.splice(0);
    this.expectations.splice(0);
  }

  private countsOf(api: DescribedApi): ConformanceCounts {
    let counts = this.counts.get(api);
    if (!counts) {
      counts = { checked: 0, conforming: 0, expected: 0, unexpected: 0 };
      this.counts.set(api, counts);
    }
    return counts;
  }
}

/** The process's ledger (under Jest, each test file has its own). */
export const conformance = new ConformanceLedger();

/**
 * Whether the stand-ins check their traffic: always under Jest, elsewhere when
 * CHATOPS_CONFORMANCE=1 (the sandbox run by an end-to-end test); CHATOPS_CONFORMANCE=0 turns it off.
 */
export function conformanceEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['CHATOPS_CONFORMANCE'] === '0') return false;
  return env['CHATOPS_CONFORMANCE'] === '1' || env['JEST_WORKER_ID'] !== undefined;
}

/** A violation as one line: where, then its first problems. */
export function describeViolation(body: CheckedBody, maxProblems = 5): string {
  const status = body.status === undefined ? '' : ` ${body.status}`;
  const more =
    body.problems.length > maxProblems ? ` (+${body.problems.length - maxProblems})` : '';
  return `${body.api} ${body.direction} ${body.operation}${status}: ${body.problems.slice(0, maxProblems).join('; ')}${more}`;
}

/**
 * Reads what a sandbox process's stand-ins recorded (its Discord stand-in's control plane) into
 * this test file's ledger, so its violations fail this file and its counts join the run's.
 */
export async function absorbSandboxConformance(discordSimUrl: string): Promise<ConformanceReport> {
  const res = await fetch(new URL('/_sim/conformance', discordSimUrl));
  if (!res.ok) throw new Error(`the sandbox's conformance report answered ${res.status}`);
  const report = (await res.json()) as ConformanceReport;
  conformance.absorb(report);
  return report;
}
