/**
 * Goals reached, as contact sensors Apple Home can automate on ("when my step goal is reached…"):
 * "<Profile> Step Goal" on the Activity accessory is open once today's steps reach the steps goal
 * and closes at local midnight (when today's steps drop to 0); "<Profile> Sleep Goal" on the Sleep
 * accessory is open while last night's total sleep time (the `sleep_total_duration_seconds` window)
 * is at least the sleep goal. A sensor exists while the account has that goal and both keys are
 * selected in `measurements`.
 *
 * The state is kept in `accessory.context.ext.goals`, so a restart shows it at once.
 */
import type { HAP, Service } from 'homebridge';

import type { MetricDefinition, MetricGroup } from '../../metrics/catalog.js';
import { goalReached, type Reading } from '../../metrics/values.js';
import type { GroupFeature } from '../feature.js';
import { ensure, type GroupAccessory, setIfChanged } from '../group-accessory.js';
import { composeName } from '../names.js';

export interface GoalSensorKind {
  readonly id: 'step' | 'sleep';
  readonly label: string;
  readonly group: MetricGroup;
  /** The metric compared with the goal, and the goal's metric. */
  readonly valueKey: string;
  readonly goalKey: string;
}

export const GOAL_SENSORS: readonly GoalSensorKind[] = [
  { id: 'step', label: 'Step Goal', group: 'activity', valueKey: 'steps_today', goalKey: 'steps_goal' },
  { id: 'sleep', label: 'Sleep Goal', group: 'sleep', valueKey: 'sleep_total_duration_seconds', goalKey: 'sleep_goal_seconds' },
];

/** Pure: the sensor's state now. undefined: the account has no such goal (no sensor). */
export function goalSensorState(kind: GoalSensorKind, values: ReadonlyMap<string, Reading>): boolean | undefined {
  const goal = values.get(kind.goalKey);
  if (goal === undefined || goal.value <= 0) {
    return undefined;
  }
  return goalReached(values.get(kind.valueKey), goal) ?? false;
}

type Ext = { goals?: Partial<Record<GoalSensorKind['id'], boolean>> };
const extOf = (group: GroupAccessory): Ext => (group.context.ext ??= {}) as Ext;
const subtypeOf = (kind: GoalSensorKind): string => `goal:${kind.id}`;

export class GoalSensors implements GroupFeature {
  private readonly kinds: GoalSensorKind[];

  constructor(private readonly hap: HAP, metrics: readonly MetricDefinition[]) {
    const selected = new Set(metrics.map((m) => m.key));
    this.kinds = GOAL_SENSORS.filter((k) => selected.has(k.valueKey) && selected.has(k.goalKey));
  }

  /** Shows the remembered state (also right after a restart); removes sensors of goals gone or deselected. */
  attach(group: GroupAccessory): void {
    const states = extOf(group).goals ?? {};
    for (const service of group.accessory.services.filter((s) => s.subtype?.startsWith('goal:'))) {
      const kind = this.kinds.find((k) => subtypeOf(k) === service.subtype && k.group === group.group);
      if (!kind || states[kind.id] === undefined) {
        group.accessory.removeService(service);
      }
    }
    for (const kind of this.kinds.filter((k) => k.group === group.group)) {
      const state = states[kind.id];
      if (state !== undefined) {
        this.show(this.ensureSensor(group, kind), state);
      }
    }
  }

  onValues(values: ReadonlyMap<string, Reading>, groups: readonly GroupAccessory[]): readonly GroupAccessory[] {
    const changed: GroupAccessory[] = [];
    for (const kind of this.kinds) {
      const host = groups.find((g) => g.group === kind.group);
      if (!host) {
        continue;
      }
      const state = goalSensorState(kind, values);
      const ext = extOf(host);
      if ((ext.goals ?? {})[kind.id] !== state) {
        ext.goals ??= {};
        if (state === undefined) {
          delete ext.goals[kind.id];
        } else {
          ext.goals[kind.id] = state;
        }
        if (!changed.includes(host)) {
          changed.push(host);
        }
      }
    }
    return changed; // attach() (run right after) builds, updates or removes the sensors
  }

  private show(service: Service, reached: boolean): void {
    const C = this.hap.Characteristic;
    setIfChanged(service.getCharacteristic(C.ContactSensorState), reached ? C.ContactSensorState.CONTACT_NOT_DETECTED : C.ContactSensorState.CONTACT_DETECTED);
  }

  private ensureSensor(group: GroupAccessory, kind: GoalSensorKind): Service {
    const subtype = subtypeOf(kind);
    const name = composeName(group.profile.displayName, kind.label);
    const service = group.accessory.services.find((s) => s.subtype === subtype)
      ?? group.accessory.addService(this.hap.Service.ContactSensor, name, subtype);
    ensure(service, this.hap.Characteristic.StatusActive);
    ensure(service, this.hap.Characteristic.StatusFault);
    group.applyName(service, subtype, name);
    return service;
  }
}
