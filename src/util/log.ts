/**
 * The logger every layer writes to. The platform wraps Homebridge's log so that each line goes
 * through the redactor (no token, code or secret can reach the log); other layers only see this
 * interface.
 */
export interface PluginLog {
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
}

/** Error text for a log line: the message only (never a stack or an HTTP client's internals). */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
