/**
 * A notification's body (docs/withings-api.md#notifications): form-encoded `userid, appli, startdate,
 * enddate, date`, and, tolerated, the same fields as JSON or multipart/form-data. Pure: validated
 * here, at the boundary, so that nothing behind it sees a malformed value.
 */

/** Withings' bodies are about 100 bytes; anything over this is not a notification. */
export const MAX_BODY_BYTES = 8 * 1024;

export interface Notification {
  readonly userid: string;
  readonly appli: number;
  readonly startdate?: number;
  readonly enddate?: number;
  /** `date` as epoch seconds when it is one (some categories send YYYY-MM-DD instead). */
  readonly date?: number;
  readonly action?: string;
}

const USERID = /^[0-9]{1,20}$/;
/** Instants after 2000 and before 2100: anything else is not a real event time. */
const MIN_EPOCH = 946_684_800;
const MAX_EPOCH = 4_102_444_800;

function fields(contentType: string, body: string): Map<string, string> {
  const type = contentType.split(';')[0].trim().toLowerCase();
  const out = new Map<string, string>();
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return out;
    }
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v === 'string' || typeof v === 'number') {
          out.set(k, String(v));
        }
      }
    }
    return out;
  }
  if (type === 'multipart/form-data') {
    const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (!boundary) {
      return out;
    }
    for (const part of body.split(`--${boundary}`)) {
      const m = /content-disposition:[^\r\n]*\bname="([^"]+)"[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n?$/i.exec(part);
      if (m) {
        out.set(m[1], m[2].trim());
      }
    }
    return out;
  }
  // Form encoding is Withings' documented format, and the fallback for a missing content type.
  for (const [k, v] of new URLSearchParams(body)) {
    out.set(k, v);
  }
  return out;
}

const epoch = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^[0-9]{1,12}$/.test(v.trim())) {
    return undefined;
  }
  const n = Number(v);
  return n >= MIN_EPOCH && n <= MAX_EPOCH ? n : undefined;
};

/** The notification in a body, or undefined when it lacks a valid `userid` and `appli`. */
export function parseNotification(contentType: string | undefined, body: string): Notification | undefined {
  const f = fields(contentType ?? '', body);
  const userid = f.get('userid')?.trim();
  const appliText = f.get('appli')?.trim();
  if (!userid || !USERID.test(userid) || !appliText || !/^[0-9]{1,4}$/.test(appliText)) {
    return undefined;
  }
  const action = f.get('action')?.trim();
  return {
    userid,
    appli: Number(appliText),
    startdate: epoch(f.get('startdate')),
    enddate: epoch(f.get('enddate')),
    date: epoch(f.get('date')),
    action: action && /^[a-z_]{1,20}$/i.test(action) ? action : undefined,
  };
}

/**
 * When an in-bed / out-of-bed event happened: the time the notification gives, if it is sane (not
 * in the future beyond a minute of clock skew), else the time it was received.
 */
export function eventTime(n: Notification, receivedAt: number): number {
  const given = n.date ?? n.startdate ?? n.enddate;
  return given !== undefined && given <= receivedAt + 60 ? given : receivedAt;
}
