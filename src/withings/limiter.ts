/**
 * Keeps the whole plugin (every profile together) under Withings' 120 requests per minute per
 * app, and holds every request back after a 601 for as long as Withings asked.
 */
import type { Clock } from '../util/clock.js';
import { WithingsError } from './errors.js';

export class RequestLimiter {
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly clock: Clock,
    /** Requests allowed per window; half of Withings' limit leaves room for the settings UI. */
    private readonly perWindow = 60,
    private readonly windowMs = 60_000,
  ) {}

  /** Withings said "too many requests": every request fails fast for `seconds`. */
  pause(seconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + seconds * 1000);
  }

  /** Resolves when one more request may be sent. Requests are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) {
        throw new Error('aborted');
      }
      const now = this.clock.now();
      if (this.pausedUntil > now) {
        // Fail fast rather than hold a sync for minutes: the scheduler retries after the pause.
        const seconds = Math.ceil((this.pausedUntil - now) / 1000);
        throw new WithingsError('rate-limited', `Withings asked to wait ${seconds} s before the next request`, 601, seconds);
      }
      while (this.sent.length > 0 && this.sent[0] <= now - this.windowMs) {
        this.sent.shift();
      }
      const wait = this.sent.length >= this.perWindow ? this.sent[0] + this.windowMs - now : 0;
      if (wait <= 0) {
        this.sent.push(now);
        return;
      }
      await new Promise<void>((resolve) => {
        // The listener goes when the wait ends, so a long-lived signal never collects them.
        const onAbort = (): void => {
          t.cancel();
          resolve();
        };
        const t = this.clock.setTimer(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, wait);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }
}
