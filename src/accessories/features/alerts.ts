/**
 * Threshold alerts from the `alerts` config list: a ContactSensor per alert, "open" (contact not
 * detected) while the profile's latest value is beyond the threshold, "closed" otherwise.
 *
 * Why a contact sensor: Apple Home can trigger automations on it ("opens" / "closes"), shows it in
 * the Home status bar when open, and its two states map one-to-one to "alert" / "normal" without
 * pretending to measure anything. Light-level thresholds exist in Home too, but only as automation
 * conditions the user types by hand, on a value shown as lux.
 */
import type { HAP, Service } from 'homebridge';

import type { MetricDefinition } from '../../metrics/catalog.js';
import type { Reading } from '../../metrics/values.js';
import type { GroupFeature } from '../feature.js';
import { ensure, type GroupAccessory, setIfChanged } from '../group-accessory.js';
import { composeName, sanitizeName } from '../names.js';

export type AlertDirection = 'above' | 'below';

/** One entry of the `alerts` config list, validated. */
export interface AlertConfig {
  readonly profile: string;
  readonly metric: MetricDefinition;
  readonly direction: AlertDirection;
  readonly threshold: number;
  readonly name: string;
  /** Stable identity of the alert across restarts and edits of its name. */
  readonly id: string;
}

/** Pure: is this reading beyond the alert's threshold? (No reading: not alerting.) */
export function isAlerting(alert: Pick<AlertConfig, 'direction' | 'threshold'>, reading: Reading | undefined): boolean {
  if (reading === undefined) {
    return false;
  }
  return alert.direction === 'above' ? reading.value > alert.threshold : reading.value < alert.threshold;
}

/** The subtype of an alert's service: stable while the alert's meaning stays the same. */
export const alertSubtype = (alert: AlertConfig): string => `alert:${alert.metric.key}:${alert.direction}:${alert.threshold}`;

export class AlertSensors implements GroupFeature {
  constructor(private readonly hap: HAP, private readonly alerts: readonly AlertConfig[]) {}

  /** Builds, updates and prunes the alert sensors of this accessory from its latest values. */
  attach(group: GroupAccessory): void {
    const mine = this.alerts.filter((a) => a.metric.group === group.group);
    const S = this.hap.Service.ContactSensor;
    const C = this.hap.Characteristic;
    // Only alert sensors (other features, such as goals, have contact sensors of their own).
    for (const service of group.accessory.services.filter((s) => s.UUID === S.UUID && s.subtype?.startsWith('alert:'))) {
      if (!mine.some((a) => alertSubtype(a) === service.subtype)) {
        group.accessory.removeService(service);
      }
    }
    for (const alert of mine) {
      const reading = group.context.values[alert.metric.key];
      const service = this.ensureSensor(group, alert);
      setIfChanged(service.getCharacteristic(C.ContactSensorState), isAlerting(alert, reading)
        ? C.ContactSensorState.CONTACT_NOT_DETECTED
        : C.ContactSensorState.CONTACT_DETECTED);
    }
  }

  private ensureSensor(group: GroupAccessory, alert: AlertConfig): Service {
    const subtype = alertSubtype(alert);
    const name = composeName(group.profile.displayName, sanitizeName(alert.name, `${alert.metric.label} Alert`, 40));
    const service = group.accessory.services.find((s) => s.subtype === subtype)
      ?? group.accessory.addService(this.hap.Service.ContactSensor, name, subtype);
    ensure(service, this.hap.Characteristic.StatusActive);
    group.applyName(service, subtype, name);
    return service;
  }
}
