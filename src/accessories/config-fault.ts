/**
 * While the plugin refuses its config it runs nothing, but Homebridge still publishes the cached
 * accessories with their last values: without a sign they would look live. Every service that
 * carries a status gets StatusFault 1 (a warning badge in the Home app, docs/homebridge.md#status)
 * and StatusActive false; values, names and the accessories themselves are left as they are.
 * A valid config at the next start sets both again from the profile's health.
 */
import type { HAP, PlatformAccessory } from 'homebridge';

import { setIfChanged } from './group-accessory.js';

/** Marks the cached accessories faulted; returns how many services now show the fault. */
export function showConfigFault(hap: HAP, accessories: readonly PlatformAccessory[]): number {
  const { Characteristic: C } = hap;
  let marked = 0;
  for (const accessory of accessories) {
    for (const service of accessory.services) {
      if (!service.testCharacteristic(C.StatusFault)) {
        continue; // AccessoryInformation, buttons: nothing to fault
      }
      setIfChanged(service.getCharacteristic(C.StatusFault), C.StatusFault.GENERAL_FAULT);
      if (service.testCharacteristic(C.StatusActive)) {
        setIfChanged(service.getCharacteristic(C.StatusActive), false);
      }
      marked += 1;
    }
  }
  return marked;
}
