import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conformance, describeViolation } from './ledger';

/**
 * Runs after every test file (this lib's jest.preset.cjs): a body a stand-in exchanged that does not
 * conform to its published description, and that no test marked as expected, fails the file.
 * The counts go to the run's reporter (jest/conformance-reporter.cjs), which prints them.
 */
afterEach(() => conformance.clearExpectations());

afterAll(() => {
  const summary = conformance.summary();
  const dir = process.env['CHATOPS_CONFORMANCE_DIR'];
  if (dir && Object.keys(summary).length) {
    mkdirSync(dir, { recursive: true });
    const name = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.json`;
    writeFileSync(join(dir, name), JSON.stringify(summary));
  }
  const unexpected = conformance.takeUnexpected();
  conformance.reset();
  if (!unexpected.length) return;
  // One line per kind of violation (the same body shape repeats across a test file).
  const kinds = new Map<string, number>();
  for (const violation of unexpected) {
    const line = describeViolation(violation);
    kinds.set(line, (kinds.get(line) ?? 0) + 1);
  }
  throw new Error(
    `${unexpected.length} bodies do not conform to the published API descriptions:\n` +
      [...kinds]
        .slice(0, 30)
        .map(([line, count]) => `  - ${count > 1 ? `${count} × ` : ''}${line}`)
        .join('\n'),
  );
});
