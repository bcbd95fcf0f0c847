// Types of the simulator's public API for the TypeScript tests (the simulator is plain JavaScript).
export interface SimulatorClient {
  client_id: string;
  client_secret: string;
  redirect_uris?: string[] | null;
  name?: string;
}

export interface SimulatorOptions {
  port?: number;
  /** Milliseconds since the epoch; inject a controllable clock in tests. */
  now?: () => number;
  clients?: SimulatorClient[];
  pageSize?: { getmeas?: number; getsummary?: number };
  seed?: number;
  log?: boolean;
  callbackCheck?: 'strict' | 'lenient';
  rateLimitPerMinute?: number;
}

export interface Simulator {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  readonly state: { people: Map<string, Record<string, unknown>> } & Record<string, unknown>;
}

export function startSimulator(options?: SimulatorOptions): Promise<Simulator>;
