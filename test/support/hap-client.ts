/**
 * Reads a Homebridge bridge from outside its process, the way a HomeKit controller does in
 * Homebridge's insecure mode (-I): GET /accessories and PUT /characteristics with the setup code
 * as Authorization, and `EVENT/1.0` notifications on a kept-open connection.
 */
import { connect, type Socket } from 'node:net';

import { PIN } from './homebridge.js';

export interface HapCharacteristic {
  readonly aid: number;
  readonly iid: number;
  readonly type: string;
  readonly value?: unknown;
  readonly format?: string;
  readonly unit?: string;
  readonly minValue?: number;
  readonly maxValue?: number;
  readonly minStep?: number;
  readonly perms?: string[];
  readonly description?: string;
}

export interface HapService {
  readonly iid: number;
  readonly type: string;
  readonly characteristics: HapCharacteristic[];
}

export interface HapAccessory {
  readonly aid: number;
  readonly services: HapService[];
}

/** Short HAP UUIDs ("43") and full ones for Apple types; custom UUIDs stay as they are. */
export const HAP_TYPES = {
  Name: '23',
  ConfiguredName: 'E3',
  CurrentAmbientLightLevel: '6B',
  CurrentTemperature: '11',
  CurrentRelativeHumidity: '10',
  OccupancyDetected: '71',
  StatusActive: '75',
  StatusFault: '77',
  ProgrammableSwitchEvent: '73',
  ContactSensorState: '6A',
  StatusLowBattery: '79',
  AccessoryInformation: '3E',
} as const;

const short = (uuid: string): string => {
  const m = /^0*([0-9A-F]+)-0000-1000-8000-0026BB765291$/i.exec(uuid);
  return (m ? m[1] : uuid).toUpperCase();
};

/** A flattened, name-addressed view of the bridge: "Alice Weight" → its characteristics. */
export class HapSnapshot {
  constructor(readonly accessories: HapAccessory[]) {}

  /** The service (not the accessory information) whose Name is `name` (e.g. "Alice Weight"). */
  service(name: string): HapService | undefined {
    for (const a of this.accessories) {
      for (const s of a.services) {
        if (short(s.type) !== HAP_TYPES.AccessoryInformation && s.characteristics.some((c) => short(c.type) === HAP_TYPES.Name && c.value === name)) {
          return s;
        }
      }
    }
    return undefined;
  }

  char(serviceName: string, type: string): HapCharacteristic | undefined {
    return this.service(serviceName)?.characteristics.find((c) => short(c.type) === type.toUpperCase() || c.type.toUpperCase() === type.toUpperCase());
  }

  value(serviceName: string, type: string): unknown {
    return this.char(serviceName, type)?.value;
  }

}

interface RawResponse {
  status: number;
  protocol: string;
  body: string;
}

/** One HTTP/1.1 connection to the bridge that also receives EVENT/1.0 messages. */
export class HapConnection {
  private buffer = Buffer.alloc(0);
  private pending: ((r: RawResponse) => void)[] = [];
  readonly events: { aid: number; iid: number; value: unknown; at: number }[] = [];
  private eventWaiters: (() => void)[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<HapConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new HapConnection(socket)));
      socket.once('error', reject);
    });
  }

  private drain(): void {
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) {return;}
      const head = this.buffer.subarray(0, headerEnd).toString('utf8');
      let body: string;
      if (/transfer-encoding:\s*chunked/i.test(head)) {
        const chunked = readChunked(this.buffer, headerEnd + 4);
        if (!chunked) {return;}
        body = chunked.body;
        this.buffer = this.buffer.subarray(chunked.end);
      } else {
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.buffer.length < headerEnd + 4 + length) {return;}
        body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
        this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      }
      const [protocol, status] = head.split(' ');
      if (protocol.startsWith('EVENT')) {
        const at = Date.now();
        for (const c of (JSON.parse(body) as { characteristics: { aid: number; iid: number; value: unknown }[] }).characteristics) {
          this.events.push({ ...c, at });
        }
        this.eventWaiters.splice(0).forEach((w) => w());
      } else {
        this.pending.shift()?.({ status: Number(status), protocol, body });
      }
    }
  }

  request(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    return new Promise((resolve) => {
      this.pending.push(resolve);
      this.socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${PIN}\r\n`
        + `Content-Type: application/hap+json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`);
    });
  }

  async accessories(): Promise<HapSnapshot> {
    const r = await this.request('GET', '/accessories');
    if (r.status !== 200) {throw new Error(`GET /accessories answered ${r.status}: ${r.body}`);}
    return new HapSnapshot((JSON.parse(r.body) as { accessories: HapAccessory[] }).accessories.map((a) => ({
      aid: a.aid,
      services: a.services.map((s) => ({ ...s, characteristics: s.characteristics.map((c) => ({ ...c, aid: a.aid })) })),
    })));
  }

  /** Subscribes to notifications of these characteristics. */
  async subscribe(chars: { aid: number; iid: number }[]): Promise<void> {
    const r = await this.request('PUT', '/characteristics', { characteristics: chars.map((c) => ({ aid: c.aid, iid: c.iid, ev: true })) });
    if (r.status !== 204 && r.status !== 207 && r.status !== 200) {throw new Error(`subscribe answered ${r.status}: ${r.body}`);}
  }

  /** Resolves when `count` events matching the filter have arrived (or rejects after timeoutMs). */
  async waitForEvents(filter: (e: { aid: number; iid: number; value: unknown }) => boolean, count: number, timeoutMs: number): Promise<{ aid: number; iid: number; value: unknown; at: number }[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.events.filter(filter);
      if (matching.length >= count) {return matching;}
      const left = deadline - Date.now();
      if (left <= 0) {throw new Error(`only ${matching.length} of ${count} HAP events after ${timeoutMs} ms`);}
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.eventWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A complete chunked body starting at `start`, or undefined while bytes are missing. */
function readChunked(buffer: Buffer, start: number): { body: string; end: number } | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) {return undefined;}
    const size = parseInt(buffer.subarray(at, lineEnd).toString('ascii'), 16);
    if (Number.isNaN(size)) {throw new Error('bad chunked encoding');}
    if (buffer.length < lineEnd + 2 + size + 2) {return undefined;}
    if (size === 0) {return { body: Buffer.concat(parts).toString('utf8'), end: lineEnd + 4 };}
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** One GET /accessories on a fresh connection. */
export async function readBridge(port: number): Promise<HapSnapshot> {
  const c = await HapConnection.open(port);
  try {
    return await c.accessories();
  } finally {
    c.close();
  }
}
