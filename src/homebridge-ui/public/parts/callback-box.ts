/** The one callback URL to register, whether Withings will take it (in words), and the hosted page in one click. */
import type { CallbackInfo } from '../../contract.js';
import { $, el, list } from './host.js';

export function renderCallback(info: CallbackInfo, authorizeHost: string, useHosted: () => void): void {
  $<HTMLElement>('#withings-callback-url').textContent = info.url ?? '';
  $<HTMLButtonElement>('#withings-copy-callback').disabled = !info.url;
  const verdict = $<HTMLElement>('#withings-callback-verdict');
  verdict.replaceChildren();
  if (!info.url) {
    verdict.className = 'small text-danger mb-2';
    verdict.textContent = `${info.error ?? 'No callback URL'}.`;
    return;
  }
  const rules = info.withings ? '' : ` (These are Withings' rules; this Homebridge signs in at ${authorizeHost}.)`;
  if (info.accepted) {
    verdict.className = 'small text-success mb-2 withings-callback-ok';
    verdict.textContent = `Withings accepts this address. When you save your Withings app, Withings checks that it answers, so the page must be reachable from the internet.${rules}`;
    return;
  }
  verdict.className = 'small text-warning mb-2 withings-callback-refused';
  verdict.append(`Withings will not accept this address: ${list(info.problems)}.${rules} `);
  if (info.url !== info.hosted) {
    const button = el('button', { type: 'button', class: 'btn btn-outline-primary btn-sm withings-use-hosted', text: 'Use the hosted callback page' });
    button.addEventListener('click', useHosted);
    verdict.append(
      el('span', { text: 'Without a public https address for this Homebridge, use the project\'s hosted page: it hands the answer back to this window and never sees your secret. ' }),
      button);
  }
}
