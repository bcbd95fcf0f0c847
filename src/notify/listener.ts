/**
 * The HTTP endpoint Withings posts notifications to (docs/withings-api.md#notifications), one for
 * all profiles. Only paths ending in `/<secret>` are served (a reverse proxy may add a prefix):
 * HEAD and GET answer 200 (Withings checks the URL at subscribe time), POST answers 200 as soon as
 * its small body has arrived and before anything is done with it (Withings wants an answer within
 * 2 s). Everything else gets a bare 404.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { MAX_BODY_BYTES, type Notification, parseNotification } from './body.js';

/** A POST whose body has not arrived by then is answered and dropped (Withings' limit is 2 s). */
export const BODY_DEADLINE_MS = 1_500;

export interface ListenerOptions {
  readonly host?: string;
  readonly port: number;
  readonly secret: string;
  /** Called after the answer was sent, for every well-formed notification. Must not throw. */
  readonly onNotification: (n: Notification) => void;
  /** A POST with the secret but no `userid`/`appli` (or over the size cap). */
  readonly onRejected?: (why: string) => void;
}

export class ListenError extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

export class NotifyListener {
  private server?: Server;

  constructor(private readonly options: ListenerOptions) {}

  /** The port actually bound (useful with port 0 in tests). */
  get port(): number | undefined {
    const address = this.server?.address();
    return typeof address === 'object' && address ? address.port : undefined;
  }

  /** Starts listening; rejects with a ListenError naming the problem (e.g. the port is in use). */
  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.requestTimeout = 5_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 2_000;
    server.maxHeadersCount = 50;
    server.maxConnections = 64;
    await new Promise<void>((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException): void => {
        server.close();
        const where = `${this.options.host ?? 'all interfaces'} port ${this.options.port}`;
        const message = e.code === 'EADDRINUSE'
          ? `port ${this.options.port} is already in use (${where}): choose another "notifications.port"`
          : e.code === 'EACCES'
            ? `no permission to listen on ${where}: choose a "notifications.port" above 1024`
            : e.code === 'EADDRNOTAVAIL'
              ? `"notifications.host" ${this.options.host} is not an address of this machine`
              : `cannot listen on ${where}: ${e.message}`;
        reject(new ListenError(message, e.code));
      };
      server.once('error', onError);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', onError);
        server.on('error', () => undefined); // later socket errors must never crash Homebridge
        resolve();
      });
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const path = (req.url ?? '').split('?')[0];
    if (!path.endsWith(`/${this.options.secret}`)) {
      answer(res, 404);
      req.resume();
      return;
    }
    if (req.method === 'HEAD' || req.method === 'GET') {
      answer(res, 200);
      req.resume();
      return;
    }
    if (req.method !== 'POST') {
      answer(res, 404);
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      this.options.onRejected?.('a body over the size cap');
      answer(res, 413, true);
      req.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const deadline = setTimeout(() => {
      done = true;
      answer(res, 408, true);
      req.destroy();
    }, BODY_DEADLINE_MS);
    deadline.unref();
    req.on('data', (chunk: Buffer) => {
      if (done) {
        return;
      }
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        done = true;
        clearTimeout(deadline);
        this.options.onRejected?.('a body over the size cap');
        answer(res, 413, true);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) {
        return;
      }
      done = true;
      clearTimeout(deadline);
      const body = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'];
      // First the answer, then the work: the notification is handed on once the 200 is written.
      res.once('finish', () => setImmediate(() => {
        try {
          const n = parseNotification(contentType, body);
          if (n) {
            this.options.onNotification(n);
          } else {
            this.options.onRejected?.('a body without "userid" and "appli"');
          }
        } catch {
          // The handler's own errors are its to log; the listener keeps serving.
        }
      }));
      answer(res, 200);
    });
  }
}

function answer(res: ServerResponse, status: number, close = false): void {
  if (res.headersSent) {
    return;
  }
  res.writeHead(status, { 'content-length': '0', ...(close ? { connection: 'close' } : {}) });
  res.end();
}
