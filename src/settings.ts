import { readFileSync } from 'node:fs';

/** Names Homebridge and the Config UI use to find this plugin. Keep them stable: users' config refers to them. */
export const PLUGIN_NAME = 'homebridge-withings';
export const PLATFORM_NAME = 'Withings';

/** Defaults documented in the README and config.schema.json. */
export const DEFAULT_UPDATE_INTERVAL_SECONDS = 300;
export const MIN_UPDATE_INTERVAL_SECONDS = 30;
export const MAX_UPDATE_INTERVAL_SECONDS = 86_400;

/** The local port the notification listener binds by default (`notifications.port`). */
export const DEFAULT_NOTIFY_PORT = 8582;

/** Sub-folder of the Homebridge storage path that holds one token file per linked Withings user. */
export const TOKEN_DIR_NAME = 'withings';

/**
 * Each linked Withings user's chart history, next to its token file: `<userid>.history.json`. The
 * dot keeps it from looking like a token file (`<userid>.json`) to the token-folder watcher.
 */
export const historyFileName = (userid: string): string => `${userid}.history.json`;

/** Path, under the Config UI X origin (or `base_url`), of the page Withings redirects back to. */
export const CALLBACK_PATH = `/api/plugins/settings-ui/${PLUGIN_NAME}/callback.html`;

/** The plugin's version, shown as the accessories' firmware revision. */
export const PLUGIN_VERSION: string = (() => {
  try {
    // dist/settings.js → ../package.json; read at load time, never from the network.
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
