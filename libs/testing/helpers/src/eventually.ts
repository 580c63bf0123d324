/**
 * Polls `probe` until it returns something other than undefined, and returns that. A probe that
 * throws counts as "not yet" (a process restarting refuses connections); on timeout the error
 * names what was awaited, the last probe error, and whatever `context` says of the state.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; context?: () => Promise<string> } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  const context = options.context ? await options.context().catch((e: unknown) => String(e)) : '';
  throw new Error(
    [
      `timed out waiting for ${what}`,
      lastError ? `last error: ${(lastError as Error).message}` : '',
      context,
    ]
      .filter(Boolean)
      .join('; '),
  );
}
