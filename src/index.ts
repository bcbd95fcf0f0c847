import type { API } from 'homebridge';

import { WithingsPlatform } from './platform/platform.js';
import { PLATFORM_NAME } from './settings.js';

/** Homebridge calls this once when it loads the plugin. */
export default (api: API): void => {
  api.registerPlatform(PLATFORM_NAME, WithingsPlatform);
};
