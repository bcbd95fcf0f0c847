/** A clock tests move by hand: timers fire only when the test advances time. */
import type { Clock, TimerHandle } from '../../src/util/clock.js';

interface Pending {
  at: number;
  fn: () => void;
  id: number;
}

export class FakeClock implements Clock {
  private pending: Pending[] = [];
  private nextId = 0;

  constructor(private t = Date.UTC(2026, 10, 28, 8, 0, 0)) {}

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ at: this.t + Math.max(0, ms), fn, id });
    return { cancel: () => { this.pending = this.pending.filter((p) => p.id !== id); } };
  }

  /** Timers still waiting, soonest first (ms from now). */
  timers(): number[] {
    return this.pending.map((p) => p.at - this.t).sort((a, b) => a - b);
  }

  /** Moves time forward, firing due timers in order and letting their promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) {
        break;
      }
      this.pending = this.pending.filter((p) => p.id !== due.id);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Sets the time without firing timers (e.g. "a day later", restart tests). */
  set(epochMs: number): void {
    this.t = epochMs;
  }
}

/**
 * Lets pending promise chains, nock replies and file-system calls (thread pool) complete. Not a
 * sleep for time semantics: the plugin's time only moves through FakeClock.
 */
export async function settle(rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((r) => (i % 4 === 3 ? setTimeout(r, 1) : setImmediate(r)));
  }
}
