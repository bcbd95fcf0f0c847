/** The page's handles on Config UI X: `window.homebridge`, the typed request, and two DOM helpers. */
import type { IHomebridgePluginUi } from '@homebridge/plugin-ui-utils/ui.interface';

import type { Route, Routes } from '../../contract.js';

export const homebridge = (window as unknown as { homebridge: IHomebridgePluginUi }).homebridge;

/** A request to this plugin's UI server, typed by the contract (the one place a reply is typed). */
export function request<R extends Route>(path: R, body: Routes[R]['request']): Promise<Routes[R]['reply']> {
  return homebridge.request(path, body) as Promise<Routes[R]['reply']>;
}

export const $ = <T extends HTMLElement>(selector: string, root: ParentNode = document): T => root.querySelector(selector) as T;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') {
      node.textContent = v;
    } else {
      node.setAttribute(k, v);
    }
  }
  node.append(...children);
  return node;
}

export function errorText(e: unknown): string {
  const m = (e as { message?: unknown })?.message;
  return typeof m === 'string' && m ? m : 'Something went wrong.';
}

/** "a", "a and b", "a, b and c". */
export function list(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
