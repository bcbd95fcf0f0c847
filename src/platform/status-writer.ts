/**
 * Keeps the status file in step with the profiles: one write at a time, and changes that arrive
 * during a write coalesced into one more write afterwards.
 */
import { type Clock, epochSeconds } from '../util/clock.js';
import { describeError, type PluginLog } from '../util/log.js';
import { type PluginProfileStatus, type PluginStatusFile, writeStatusFile } from './status-file.js';

export interface StatusSource {
  readonly name: string;
  readonly status: PluginProfileStatus;
}

export class StatusWriter {
  private writing = false;
  private dirty = false;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly clock: Clock,
    private readonly log: PluginLog,
    private readonly sources: () => Iterable<StatusSource>,
  ) {}

  /** Something changed: write the file now, or right after the write under way. */
  changed(): void {
    if (this.stopped) {
      return;
    }
    if (this.writing) {
      this.dirty = true;
      return;
    }
    this.writing = true;
    const profiles: PluginStatusFile['profiles'] = {};
    for (const s of this.sources()) {
      profiles[s.name] = s.status;
    }
    writeStatusFile(this.dir, { updated_at: epochSeconds(this.clock), profiles })
      .catch((e) => this.log.debug('Could not write the status file: %s', describeError(e)))
      .finally(() => {
        this.writing = false;
        if (this.dirty) {
          this.dirty = false;
          this.changed();
        }
      });
  }

  /** No more writes (shutdown): the file keeps what the plugin last knew. */
  stop(): void {
    this.stopped = true;
  }
}
