/**
 * The settings UI server, started by Config UI X (4.x and 5.x) with `child_process.fork` while the
 * plugin's settings are open. It answers the page's requests over IPC; the OAuth code exchange
 * happens here, so the client secret and the tokens never travel to the browser.
 */
import { isAbsolute } from 'node:path';

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
    // Files only ever go under the Homebridge storage path: without it (or with a relative one),
    // the server answers every request with a sentence instead of using the current folder.
    const storagePath = this.homebridgeStoragePath ?? process.env.HOMEBRIDGE_STORAGE_PATH ?? '';
    const service = isAbsolute(storagePath) ? new LinkService({ storagePath }) : undefined;
    if (!service) {
      console.error('[homebridge-withings] HOMEBRIDGE_STORAGE_PATH is not set to an absolute folder: the settings cannot read or write links.');
    }
    const linkService = (): LinkService => {
      if (!service) {
        throw new LinkError('The Homebridge UI did not say where the Homebridge storage folder is (HOMEBRIDGE_STORAGE_PATH), so no link can be read or saved. Update the Homebridge UI, or start it with hb-service.');
      }
      return service;
    };
    const history = service ? new HistoryService(service.store.dir) : undefined;

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

    route('/status', (b) => linkService().status(b));
    route('/link/start', (b) => linkService().start(b));
    route('/link/complete', (b) => linkService().complete(b));
    route('/link/confirm', (b) => linkService().confirm(b));
    route('/link/move', (b) => linkService().move(b));
    route('/unlink', (b) => linkService().unlink(b));
    route('/history', (b) => (history ? history.history(b) : { now: Math.floor(Date.now() / 1000), profiles: [] }));
    this.ready();
  }
}

(() => new WithingsUiServer())();
