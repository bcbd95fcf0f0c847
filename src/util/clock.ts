/**
 * Time, injected everywhere so tests never sleep and never depend on the wall clock.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; the returned handle cancels it. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending poll must never keep a stopping Homebridge alive.
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

export const epochSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);
