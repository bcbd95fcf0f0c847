/**
 * "New reading" buttons for HomeKit automations: a StatelessProgrammableSwitch per kind of reading
 * (weigh-in, blood-pressure reading, temperature reading, finished night) that is pressed once for
 * each new measure group or sleep summary. A light-level sensor can only trigger on crossing a
 * threshold; these fire on every reading, even one equal to the last.
 *
 * What was announced is remembered in `accessory.context`, so a restart (which re-reads the whole
 * history) never presses again for old data.
 */
import type { HAP, Service } from 'homebridge';

import { type MetricDefinition, READING_KINDS, type ReadingKind, readingMeasureTypes } from '../../metrics/catalog.js';
import type { MeasureGroup, SleepSummary } from '../../metrics/data.js';
import { isUsableGroup } from '../../metrics/values.js';
import type { PluginLog } from '../../util/log.js';
import type { GroupFeature, SyncUpdate } from '../feature.js';
import type { GroupAccessory } from '../group-accessory.js';
import { composeName } from '../names.js';

export { READING_KINDS, type ReadingKind };

/** Bound on the ids remembered per kind; older ones are covered by the `since` watermark. */
export const MAX_REMEMBERED = 200;

/** What a kind has announced, kept in the host accessory's context (`ext.events[kind]`). */
export interface AnnouncedState {
  /** Readings stored (created / modified) at or before this time are old news (epoch s). */
  since: number;
  /** Ids announced after `since` (grpid, or summary id), newest last. */
  ids: string[];
  /** The account has produced a reading of this kind (the button exists from then on). */
  seen: boolean;
}

/** The kinds the selected measurements ask for (a kind needs at least one of its metrics). */
export function selectedKinds(metrics: readonly MetricDefinition[]): ReadingKind[] {
  return READING_KINDS.filter((kind) => metrics.some((m) => m.reading === kind.id));
}

interface Candidate {
  readonly id: string;
  /** When Withings stored it (the watermark compares with this). */
  readonly stored: number;
  /** When it was taken (the order of presses). */
  readonly taken: number;
}

/** The readings of a kind in one sync report. */
export function candidates(kind: ReadingKind, report: Pick<SyncUpdate, 'groups' | 'summaries'>): Candidate[] {
  if (kind.id === 'night') {
    return report.summaries.map((s: SleepSummary) => ({ id: String(s.id), stored: s.modified, taken: s.enddate }));
  }
  const types = new Set(readingMeasureTypes(kind.id));
  return report.groups
    .filter((g: MeasureGroup) => isUsableGroup(g) && g.measures.some((m) => types.has(m.type)))
    .map((g) => ({ id: String(g.grpid), stored: g.created, taken: g.date }));
}

/**
 * The time from which readings count as new, set at the first sync ever of a profile: everything
 * already stored then is history, and the first sync announces nothing.
 */
export function baselineOf(found: readonly Candidate[], nowSeconds: number): number {
  return found.reduce((latest, c) => Math.max(latest, c.stored), nowSeconds); // no spread: lists can be long
}

/**
 * Pure decision: which readings of one sync are new (to be announced, oldest taken first), and the
 * state to remember.
 */
export function newReadings(state: AnnouncedState, found: readonly Candidate[], nowSeconds: number): { announce: Candidate[]; state: AnnouncedState } {
  const seen = new Set(state.ids);
  const unique = new Map<string, Candidate>();
  for (const c of found) {
    if (c.stored > state.since && !seen.has(c.id) && !unique.has(c.id)) {
      unique.set(c.id, c);
    }
  }
  const announce = [...unique.values()].sort((a, b) => a.taken - b.taken || a.id.localeCompare(b.id));
  let ids = [...state.ids, ...announce.map((c) => c.id)];
  let since = state.since;
  if (ids.length > MAX_REMEMBERED) {
    // Forget the oldest ids; a day-old watermark still keeps late syncs of recent readings new.
    ids = ids.slice(ids.length - MAX_REMEMBERED);
    since = Math.max(since, nowSeconds - 24 * 3600);
  }
  return { announce, state: { since, ids, seen: state.seen || found.length > 0 } };
}

type Ext = { events?: Record<string, AnnouncedState>; eventsBaseline?: number };

const extOf = (group: GroupAccessory): Ext => (group.context.ext ??= {}) as Ext;

/** The buttons on one profile's group accessories, and pressing them after each sync. */
export class ReadingEvents implements GroupFeature {
  private readonly kinds: ReadingKind[];
  private baseline?: number;

  constructor(
    private readonly hap: HAP,
    metrics: readonly MetricDefinition[],
    enabled: boolean,
    private readonly log?: PluginLog,
  ) {
    this.kinds = enabled ? selectedKinds(metrics) : [];
  }

  /** Adds the buttons of the kinds this accessory hosts (once the account has such readings); removes others. */
  attach(group: GroupAccessory): void {
    const hosted = this.kinds.filter((k) => k.group === group.group && extOf(group).events?.[k.id]?.seen);
    const S = this.hap.Service.StatelessProgrammableSwitch;
    for (const service of group.accessory.services.filter((s) => s.UUID === S.UUID)) {
      if (!hosted.some((k) => service.subtype === `event:${k.id}`)) {
        group.accessory.removeService(service);
      }
    }
    hosted.forEach((kind) => this.ensureButton(group, kind));
  }

  /** After a sync: presses the buttons, says so in the log, hands back what to save. */
  onSync(update: SyncUpdate, groups: readonly GroupAccessory[]): readonly GroupAccessory[] {
    const { changed, pressed } = this.announce(update, groups, update.nowSeconds);
    const profile = groups[0]?.profile.name ?? '';
    for (const p of pressed) {
      this.log?.info('%s: new %s%s.', profile, p.kind.label.toLocaleLowerCase(), p.count > 1 ? ` (${p.count})` : '');
    }
    return changed;
  }

  /**
   * Presses once per new reading, in the order they were taken. Returns the host accessories
   * whose remembered state changed (to be saved) and what was pressed.
   */
  announce(report: Pick<SyncUpdate, 'groups' | 'summaries'>, groups: readonly GroupAccessory[], nowSeconds: number): { changed: GroupAccessory[]; pressed: { kind: ReadingKind; count: number }[] } {
    const changed = new Set<GroupAccessory>();
    const pressed: { kind: ReadingKind; count: number }[] = [];
    if (this.kinds.length === 0) {
      return { changed: [], pressed };
    }
    const found = new Map(this.kinds.map((k) => [k.id, candidates(k, report)]));
    this.baseline ??= groups.reduce((earliest, g) => Math.min(earliest, extOf(g).eventsBaseline ?? Infinity), Infinity);
    if (!Number.isFinite(this.baseline)) {
      this.baseline = baselineOf([...found.values()].flat(), nowSeconds); // the first sync ever
    }
    for (const g of groups) {
      if (extOf(g).eventsBaseline === undefined) {
        extOf(g).eventsBaseline = this.baseline;
        changed.add(g);
      }
    }
    for (const kind of this.kinds) {
      const host = groups.find((g) => g.group === kind.group);
      if (!host) {
        continue;
      }
      const before = extOf(host).events?.[kind.id] ?? { since: this.baseline, ids: [], seen: false };
      const { announce, state } = newReadings(before, found.get(kind.id)!, nowSeconds);
      if (JSON.stringify(state) !== JSON.stringify(extOf(host).events?.[kind.id])) {
        (extOf(host).events ??= {})[kind.id] = state;
        changed.add(host);
      }
      if (!state.seen) {
        continue;
      }
      const button = this.ensureButton(host, kind);
      for (let i = 0; i < announce.length; i++) {
        button.getCharacteristic(this.hap.Characteristic.ProgrammableSwitchEvent)
          .sendEventNotification(this.hap.Characteristic.ProgrammableSwitchEvent.SINGLE_PRESS);
      }
      if (announce.length > 0) {
        pressed.push({ kind, count: announce.length });
      }
    }
    return { changed: [...changed], pressed };
  }

  private ensureButton(group: GroupAccessory, kind: ReadingKind): Service {
    const subtype = `event:${kind.id}`;
    const C = this.hap.Characteristic;
    const name = composeName(group.profile.displayName, kind.label);
    const service = group.accessory.services.find((s) => s.subtype === subtype)
      ?? group.accessory.addService(this.hap.Service.StatelessProgrammableSwitch, name, subtype);
    // Single press only: Apple Home then offers just "pressed" in automations.
    service.getCharacteristic(C.ProgrammableSwitchEvent).setProps({ minValue: 0, maxValue: 0, validValues: [C.ProgrammableSwitchEvent.SINGLE_PRESS] });
    group.applyName(service, subtype, name);
    return service;
  }
}
