/**
 * The states of a profile's link, the one vocabulary the controller, the status file, the
 * settings UI server and the settings page share. (Its own file so the page's build can take it
 * without the rest of the plugin.)
 */
export type LinkState = 'unlinked' | 'linked' | 'needs-relink' | 'stopped';
