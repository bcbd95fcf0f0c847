/**
 * The settings UI server, started by Config UI X (4.x and 5.x) with `child_process.fork` while the
 * plugin's settings are open. It answers the page's requests over IPC; the OAuth code exchange
 * happens here, so the client secret and the tokens never travel to the browser.
 */
import { HomebridgePluginUiServer, RequestError } from '@homebridge/plugin-ui-utils';

import { redact } from '../withings/redact.js';
import { LinkService } from './link-service.js';
import { LinkError } from './messages.js';

class WithingsUiServer extends HomebridgePluginUiServer {
  constructor() {
    super();
    const storagePath = this.homebridgeStoragePath ?? process.env.HOMEBRIDGE_STORAGE_PATH ?? '';
    const service = new LinkService({ storagePath });

    const handle = <T>(fn: (body: Record<string, unknown>) => Promise<T> | T) => async (body: unknown): Promise<T> => {
      try {
        return await fn((typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>);
      } catch (e) {
        if (e instanceof LinkError) {
          throw new RequestError(e.message, { message: e.message });
        }
        // Unexpected: one redacted line in the UI log, a plain sentence for the user.
        console.error(`[homebridge-withings] ${redact(e instanceof Error ? e.message : String(e))}`);
        throw new RequestError('Something went wrong; the Homebridge UI log has the details.', {});
      }
    };

    this.onRequest('/status', handle((b) => service.status(b)));
    this.onRequest('/link/start', handle((b) => service.start(b)));
    this.onRequest('/link/complete', handle((b) => service.complete(b)));
    this.onRequest('/link/confirm', handle((b) => service.confirm(b)));
    this.onRequest('/link/move', handle((b) => service.move(b)));
    this.onRequest('/unlink', handle((b) => service.unlink(b)));
    this.ready();
  }
}

(() => new WithingsUiServer())();
