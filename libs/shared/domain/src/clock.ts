/** The one time source: services and repositories take it, tests pass one they control. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
