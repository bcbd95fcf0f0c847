/**
 * Runs the built settings UI server (dist/homebridge-ui/server.js) the way Config UI X does:
 * `child_process.fork` with an IPC channel and the HOMEBRIDGE_* environment, then speaks its
 * protocol: {action: 'request'} in, {action: 'ready' | 'response' | 'stream'} out.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

import { REPO } from './homebridge.js';

export const UI_SERVER = join(REPO, 'dist', 'homebridge-ui', 'server.js');

export class UiServerError extends Error {
  constructor(readonly data: { message?: string; error?: unknown }) {
    super(data.message ?? 'request failed');
  }
}

export class UiServer {
  readonly output: string[] = [];
  private n = 0;
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => this.output.push(d.toString()));
    child.on('message', (m: { action?: string; payload?: { requestId?: string; success?: boolean; data?: unknown } }) => {
      if (m?.action !== 'response' || !m.payload?.requestId) {return;}
      const w = this.waiting.get(m.payload.requestId);
      this.waiting.delete(m.payload.requestId);
      if (m.payload.success) {w?.resolve(m.payload.data);}
      else {w?.reject(new UiServerError((m.payload.data ?? {}) as { message?: string }));}
    });
    this.exited = new Promise((r) => child.on('exit', () => r()));
  }

  static async start(storagePath: string, env: Record<string, string> = {}): Promise<UiServer> {
    const child = fork(UI_SERVER, [], {
      silent: true,
      // `env` comes last so a test can take a variable away (e.g. HOMEBRIDGE_STORAGE_PATH: '').
      env: { ...process.env, HOMEBRIDGE_STORAGE_PATH: storagePath, HOMEBRIDGE_CONFIG_PATH: join(storagePath, 'config.json'), HOMEBRIDGE_UI_VERSION: '5.10.0', ...env },
    });
    const server = new UiServer(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the UI server did not call ready(): ${server.output.join('')}`)), 10_000);
      child.on('message', (m: { action?: string }) => {
        if (m?.action === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`the UI server exited (${code}): ${server.output.join('')}`)));
    });
    return server;
  }

  request<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    const requestId = `r${++this.n}`;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(requestId, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ action: 'request', requestId, path, body });
    });
  }

  /** As Config UI X closes the settings: disconnect, SIGTERM 5 s later. Says whether it exited by itself. */
  async close(): Promise<{ byItself: boolean }> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {return { byItself: true };}
    if (this.child.connected) {this.child.disconnect();}
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGTERM');
    }, 5000);
    await this.exited;
    clearTimeout(timer);
    return { byItself: !killed };
  }
}
