/**
 * The dashboard's data: each profile's chart history, read from the files the plugin keeps (the
 * status file says which Withings user a profile shows, `<userid>.history.json` holds the points).
 * It never calls Withings, so it can never race the plugin's token refresh; a missing or corrupt
 * file is "no history yet", never an error.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { METRICS, metricByKey, type MetricDefinition } from '../metrics/catalog.js';
import { isDaily, parseHistory } from '../metrics/history.js';
import { readStatusFile } from '../platform/status-file.js';
import { historyFileName } from '../settings.js';
import { type Clock, epochSeconds, systemClock } from '../util/clock.js';
import { isValidUserid } from '../withings/token-store.js';
import type { HistoryReply, HistoryRequest, ProfileHistory } from './contract.js';

const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

export class HistoryService {
  constructor(private readonly dir: string, private readonly clock: Clock = systemClock) {}

  async history(req: HistoryRequest): Promise<HistoryReply> {
    const names = Array.isArray(req.profiles) ? [...new Set(req.profiles.map(str).filter(Boolean))] : [];
    const metrics = selected(req.measurements);
    const status = await readStatusFile(this.dir);
    const now = epochSeconds(this.clock);
    const profiles = await Promise.all(names.map(async (name): Promise<ProfileHistory> => {
      const userid = status?.profiles?.[name]?.userid;
      if (typeof userid !== 'string' || !isValidUserid(userid)) {
        return { name, series: [] };
      }
      const text = await this.readText(historyFileName(userid));
      const history = text === undefined ? undefined : parseHistory(text, metrics, now);
      if (!history || history.userid !== userid) {
        return { name, userid, series: [] };
      }
      return {
        name, userid, timezone: history.timezone, updatedAt: history.updated_at || undefined,
        series: metrics.flatMap((m) => {
          const points = history.series[m.key];
          return points && points.length > 0 ? [{ key: m.key, label: m.label, unit: m.unit, decimals: m.decimals, daily: isDaily(m), points }] : [];
        }),
      };
    }));
    return { now, profiles };
  }

  private async readText(name: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dir, name), 'utf8');
    } catch {
      return undefined;
    }
  }

}

/** The selected measurements (all when none are given), in catalog order. */
function selected(measurements: unknown): MetricDefinition[] {
  const keys = Array.isArray(measurements) ? new Set(measurements.map(String).filter((k) => metricByKey(k))) : new Set<string>();
  return keys.size > 0 ? METRICS.filter((m) => keys.has(m.key)) : [...METRICS];
}
