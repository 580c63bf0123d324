// Helpers the benchmarks share: waiting for a server, percentiles, the verdict and exit code.

export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** Prints the verdict; the exit code is 1 when a target was missed. */
export function verdict(missed: string[]): number {
  console.log(missed.length ? `MISSED: ${missed.join(', ')}` : 'all targets met');
  return missed.length ? 1 : 0;
}

/** Runs a benchmark's main and exits with its code (1 on a crash). */
export function run(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
