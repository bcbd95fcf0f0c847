// @ts-check
// Links simulator people to Homebridge profiles the way the settings UI does: a grant minted by
// the simulator, written to <storage>/withings/<userid>.json with the plugin's own token store.
// Used by `npm run demo -- --linked`, tools/sim-linked.mjs and the end-to-end tests (needs dist/).
import { join } from 'node:path';

/** The simulator's demo people. */
export const DEMO_PEOPLE = /** @type {const} */ ({ Alice: '1001001', Bob: '1001002' });

/**
 * @param {string} simulatorUrl
 * @param {string} storage Homebridge storage folder
 * @param {Record<string, string>} profiles profile name → Withings userid
 * @param {string} [clientId]
 * @returns {Promise<{profile: string, userid: string, access_token: string, refresh_token: string}[]>}
 */
export async function linkProfiles(simulatorUrl, storage, profiles, clientId = 'demo-client') {
  // A computed specifier: dist/ exists only after `npm run build`, and the type check must not need it.
  const tokenStore = '../../dist/withings/token-store.js';
  /**
   * @type {{
   *   TokenStore: new (dir: string) => {write(record: unknown): Promise<void>},
   *   newTokenRecord(grant: {userid: string, accessToken: string, refreshToken: string, expiresAt: number, scope: string},
   *     link: {profile: string, clientId: string, nowSeconds: number}): unknown,
   * }}
   */
  const { TokenStore, newTokenRecord } = await import(tokenStore);
  const store = new TokenStore(join(storage, 'withings'));
  const linked = [];
  for (const [profile, userid] of Object.entries(profiles)) {
    const res = await fetch(`${simulatorUrl}/_control/grant`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userid, client_id: clientId }),
    });
    if (!res.ok) {
      throw new Error(`the simulator refused a grant for ${userid}: HTTP ${res.status}`);
    }
    const grant = /** @type {import('./types.js').TokenBody} */ (await res.json());
    const now = Math.floor(Date.now() / 1000);
    const tokens = { userid, accessToken: grant.access_token, refreshToken: grant.refresh_token, expiresAt: now + grant.expires_in, scope: grant.scope };
    await store.write(newTokenRecord(tokens, { profile, clientId, nowSeconds: now }));
    linked.push({ profile, userid, access_token: grant.access_token, refresh_token: grant.refresh_token });
  }
  return linked;
}
