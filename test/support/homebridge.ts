/**
 * Starts a real Homebridge (from node_modules) as a child process with a throw-away storage folder
 * and this plugin's build, and reads its log. Used by the start-up and end-to-end suites.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** The Homebridge lines installed as devDependencies: 2.x as `homebridge`, 1.x as `homebridge1`. */
export const HOMEBRIDGE_LINES = {
  '2': join(REPO, 'node_modules', 'homebridge', 'bin', 'homebridge'),
  '1': join(REPO, 'node_modules', 'homebridge1', 'bin', 'homebridge'),
} as const;

export type HomebridgeLine = keyof typeof HOMEBRIDGE_LINES;

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error' | 'debug';
  readonly text: string;
}

export const PIN = '031-45-154';

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

function levelOf(raw: string): LogLine['level'] {
  // Homebridge colours warnings yellow and errors red (forced with -C), debug grey.
  if (raw.includes('\x1b[31m')) {
    return 'error';
  }
  if (raw.includes('\x1b[33m')) {
    return 'warn';
  }
  if (raw.includes('\x1b[90m')) {
    return 'debug';
  }
  return 'info';
}

export interface StartOptions {
  line?: HomebridgeLine;
  platform: Record<string, unknown> | Record<string, unknown>[];
  env?: Record<string, string>;
  /** Reuse a storage folder (restart tests); a fresh one otherwise. */
  storage?: string;
  port?: number;
  debug?: boolean;
}

export class HomebridgeProcess {
  readonly lines: LogLine[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: { re: RegExp; resolve: (l: LogLine) => void }[] = [];
  private partial = '';

  private constructor(readonly storage: string, readonly port: number, options: StartOptions) {
    const bin = HOMEBRIDGE_LINES[options.line ?? '2'];
    const args = [bin, '-U', storage, '-I', '-Q', '-C', '--strict-plugin-resolution', '-P', REPO];
    if (options.debug !== false) {
      args.push('-D');
    }
    this.child = spawn(process.execPath, args, {
      cwd: storage,
      env: { ...process.env, ...options.env, FORCE_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const onData = (chunk: Buffer): void => this.onData(chunk.toString('utf8'));
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((res) => this.child.once('exit', (code, signal) => res({ code, signal })));
  }

  static async start(options: StartOptions): Promise<HomebridgeProcess> {
    const storage = options.storage ?? mkdtempSync(join(tmpdir(), 'hb-withings-'));
    const port = options.port ?? await freePort();
    const platforms = Array.isArray(options.platform) ? options.platform : [options.platform];
    writeFileSync(join(storage, 'config.json'), JSON.stringify({
      bridge: {
        name: 'Withings Test Bridge', username: '0E:57:49:54:48:53', port, pin: PIN,
        bind: ['127.0.0.1'], advertiser: 'ciao',
      },
      accessories: [],
      platforms,
    }, null, 2));
    return new HomebridgeProcess(storage, port, options);
  }

  private onData(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const raw of parts) {
      const line: LogLine = { level: levelOf(raw), text: raw.replace(ANSI, '').trimEnd() };
      if (line.text === '') {
        continue;
      }
      this.lines.push(line);
      if (process.env.HB_TEST_ECHO) {
        console.log(`[hb] ${line.level} ${line.text}`);
      }
      this.waiters = this.waiters.filter((w) => {
        if (w.re.test(line.text)) {
          w.resolve(line);
          return false;
        }
        return true;
      });
    }
  }

  /** Resolves with the first line (already logged or coming) that matches. */
  waitFor(re: RegExp, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.lines.find((l) => re.test(l.text));
    if (seen) {
      return Promise.resolve(seen);
    }
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        rej(new Error(`timed out waiting for ${re} in the Homebridge log:\n${this.logText().slice(-3000)}`));
      }, timeoutMs);
      const done = (l: LogLine): void => {
        clearTimeout(timer);
        res(l);
      };
      this.waiters.push({ re, resolve: done });
      this.exited.then(() => {
        if (this.waiters.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          rej(new Error(`Homebridge exited while waiting for ${re}:\n${this.logText().slice(-3000)}`));
        }
      });
    });
  }

  logText(): string {
    return this.lines.map((l) => `${l.level.padEnd(5)} ${l.text}`).join('\n');
  }

  /** Lines Homebridge or HAP-NodeJS logged as warnings or errors, minus the ones a test expects. */
  problems(expected: RegExp[] = []): LogLine[] {
    const benign = [
      /requires a Node\.js version of .* which does not satisfy/, // Homebridge 2.x on Node 20, see README
      // Homebridge 1.x's own "v2.0 is coming" notice, printed at every start.
      /^\[[^\]]+\]$/, /NOTICE TO USERS AND PLUGIN DEVELOPERS/, /^> /,
      ...expected,
    ];
    return this.lines.filter((l) =>
      (l.level === 'warn' || l.level === 'error' || /HAP-NodeJS WARNING|illegal value|Unhandled|uncaught|TypeError|ReferenceError/i.test(l.text))
      && !benign.some((re) => re.test(l.text)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then waits for a clean exit (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
    if (!this.running) {
      return { ...(await this.exited), killed: false };
    }
    this.child.kill('SIGTERM');
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return { ...result, killed };
  }

  remove(): void {
    rmSync(this.storage, { recursive: true, force: true });
  }
}
