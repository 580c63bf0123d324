// Prints how many bodies the stand-ins exchanged in this Jest run, and how many conformed to the
// published API descriptions (libs/testing/sim-kit). Test files write their counts to a directory made
// here, before the workers start; it is read and removed when the run completes.
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

class ConformanceReporter {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'chatops-conformance-'));
    process.env.CHATOPS_CONFORMANCE_DIR = this.dir;
  }

  onRunComplete() {
    const totals = {};
    for (const file of readdirSync(this.dir)) {
      const summary = JSON.parse(readFileSync(join(this.dir, file), 'utf8'));
      for (const [api, counts] of Object.entries(summary)) {
        const total = (totals[api] ??= { checked: 0, conforming: 0, expected: 0, unexpected: 0 });
        for (const key of Object.keys(total)) total[key] += counts[key];
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    const lines = Object.entries(totals).map(
      ([api, c]) =>
        `  ${api}: ${c.checked} bodies checked, ${c.conforming} conform, ${c.expected} expected violations, ${c.unexpected} unexpected`,
    );
    if (lines.length)
      process.stdout.write(`Conformance to the published API descriptions:\n${lines.join('\n')}\n`);
  }
}

module.exports = ConformanceReporter;
