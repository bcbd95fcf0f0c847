/**
 * The settings UI server, started by Config UI X (4.x and 5.x) with `child_process.fork` while the
 * plugin's settings are open. It answers the page's requests over IPC; the OAuth code exchange
 * happens here, so the client secret and the tokens never travel to the browser.
 */
import { HomebridgePluginUiServer, RequestError } from '@homebridge/plugin-ui-utils';

import { describeError } from '../util/log.js';
import { redact } from '../withings/redact.js';
import type { Route, Routes } from './contract.js';
import { HistoryService } from './history-service.js';
import { LinkService } from './link-service.js';
import { LinkError } from './messages.js';

class WithingsUiServer extends HomebridgePluginUiServer {
  constructor() {
    super();
    const storagePath = this.homebridgeStoragePath ?? process.env.HOMEBRIDGE_STORAGE_PATH ?? '';
    const service = new LinkService({ storagePath });
    const history = new HistoryService(service.store.dir);

    /** Registers a route of the contract; failures become one sentence for the user, never a stack. */
    const route = <R extends Route>(path: R, fn: (body: Routes[R]['request']) => Promise<Routes[R]['reply']> | Routes[R]['reply']): void => {
      this.onRequest(path, async (body: unknown): Promise<Routes[R]['reply']> => {
        try {
          return await fn((typeof body === 'object' && body !== null ? body : {}) as Routes[R]['request']);
        } catch (e) {
          if (e instanceof LinkError) {
            throw new RequestError(e.message, { message: e.message });
          }
          // Unexpected: one redacted line in the UI log, a plain sentence for the user.
          console.error(`[homebridge-withings] ${redact(describeError(e))}`);
          throw new RequestError('Something went wrong; the Homebridge UI log has the details.', {});
        }
      });
    };

    route('/status', (b) => service.status(b));
    route('/link/start', (b) => service.start(b));
    route('/link/complete', (b) => service.complete(b));
    route('/link/confirm', (b) => service.confirm(b));
    route('/link/move', (b) => service.move(b));
    route('/unlink', (b) => service.unlink(b));
    route('/history', (b) => history.history(b));
    this.ready();
  }
}

(() => new WithingsUiServer())();
