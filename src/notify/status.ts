/** What the status file (and so the settings page) says of a profile's notifications (snake_case: users read it). */
export interface NotificationStatusRecord {
  /** off: not configured; pending: being set up (or waiting for a link); active: verified; failing: see `reason`. */
  readonly state: 'off' | 'pending' | 'active' | 'failing';
  /** The applis subscribed (active) or wanted (pending, failing). */
  readonly applis?: readonly number[];
  /** The callback URL registered at Withings, its secret masked. */
  readonly callback?: string;
  /** The last notification received for this profile (epoch seconds) and its appli. */
  readonly last_received?: number;
  readonly last_appli?: number;
  /** Why notifications do not work, and what to do about it. */
  readonly reason?: string;
  readonly action?: string;
  /** Since when the state holds (epoch seconds). */
  readonly since?: number;
}
