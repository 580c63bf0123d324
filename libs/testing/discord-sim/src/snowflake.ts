const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A Discord-shaped id: timestamp since the Discord epoch, worker bits, increment. */
export function snowflake(now = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(now) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

/** When a snowflake was made, as an ISO timestamp (a thread's is when it started). */
export function snowflakeTime(id: string): string {
  return new Date(Number((BigInt(id) >> 22n) + DISCORD_EPOCH)).toISOString();
}
