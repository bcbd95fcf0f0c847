/**
 * Keeps one Withings user's history file (`<storage>/withings/<userid>.history.json`) in step
 * with the syncs: the first record loads what the file holds, every sync's points are merged in,
 * and the file is written only when its content changed, one write at a time, syncs arriving
 * during a write coalesced into one write after it. It never throws; failures are logged at debug
 * level (the charts are a convenience, the sensors never wait for them).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { MetricDefinition } from '../metrics/catalog.js';
import {
  combineDeltas, EMPTY_HISTORY, type HistoryData, type HistoryDelta, historyDelta, type HistoryInput, mergeHistory, parseHistory, sameHistory, serializeHistory,
} from '../metrics/history.js';
import { historyFileName } from '../settings.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { type Clock, epochSeconds } from '../util/clock.js';
import { describeError, type PluginLog } from '../util/log.js';

export class HistoryRecorder {
  /** What the file holds (undefined until it was read). */
  private kept?: HistoryData;
  /** Points not written yet. */
  private pending?: HistoryDelta;
  private running?: Promise<void>;
  /** Writes done (tests and the bench read it). */
  writes = 0;

  constructor(
    private readonly dir: string,
    readonly userid: string,
    private readonly metrics: readonly MetricDefinition[],
    private readonly clock: Clock,
    private readonly log: PluginLog,
  ) {}

  get file(): string {
    return join(this.dir, historyFileName(this.userid));
  }

  /** Adds what a sync brought; the write happens in the background. */
  record(input: HistoryInput): void {
    const delta = historyDelta(input, this.metrics, epochSeconds(this.clock));
    this.pending = this.pending ? combineDeltas(this.pending, delta, this.metrics) : delta;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when nothing is left to write (tests). */
  async flushed(): Promise<void> {
    while (this.running) {
      await this.running;
    }
  }

  private async drain(): Promise<void> {
    while (this.pending) {
      if (!(await this.load())) {
        return; // unreadable for now: keep the points, try again after the next sync
      }
      const delta = this.pending;
      this.pending = undefined;
      const now = epochSeconds(this.clock);
      const next = mergeHistory(this.kept!, delta, this.metrics, now);
      if (sameHistory(next, this.kept!)) {
        continue;
      }
      try {
        if (!(await this.stillLinked())) {
          this.kept = undefined; // unlinked meanwhile: the settings UI deleted the history with the grant
          return;
        }
        await writeFileAtomic(this.file, serializeHistory(this.userid, next, now));
        this.kept = next;
        this.writes++;
      } catch (e) {
        this.pending = this.pending ? combineDeltas(delta, this.pending, this.metrics) : delta;
        this.log.debug('Could not write the chart history of Withings user %s: %s', this.userid, describeError(e));
        return;
      }
    }
  }

  /** Reads the file once. A missing or corrupt file starts a new history; a failed read waits. */
  private async load(): Promise<boolean> {
    if (this.kept) {
      return true;
    }
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        this.kept = EMPTY_HISTORY;
        return true;
      }
      this.log.debug('Could not read the chart history of Withings user %s (keeping it as it is): %s', this.userid, describeError(e));
      return false;
    }
    const parsed = parseHistory(text, this.metrics, epochSeconds(this.clock));
    if (!parsed || parsed.userid !== this.userid) {
      this.log.warn('The chart history %s is not readable; starting a new one.', this.file);
    }
    this.kept = parsed && parsed.userid === this.userid ? { timezone: parsed.timezone, series: parsed.series } : EMPTY_HISTORY;
    return true;
  }

  /** The token file is still there (an unlink in the settings removes both; a late sync must not bring the history back). */
  private async stillLinked(): Promise<boolean> {
    try {
      await stat(join(this.dir, `${this.userid}.json`));
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }
}
