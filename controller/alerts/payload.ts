// The two webhook bodies the operator accepts, reduced to the alerts in them. Alertmanager's
// webhook (notify/webhook, "version": "4") and Grafana's webhook contact point (receivers/webhook/v1,
// "version": "1") share the alert shape; everything else in them (groupKey, Grafana's values,
// valueString, URLs, keys newer senders add) is ignored, so a newer sender still parses.
import { createHash } from "node:crypto";
import type { alertSources } from "../policy/names.ts";

export type AlertSource = (typeof alertSources)[number];

export interface IncomingAlert {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
}

export type ParsedPayload = { ok: true; alerts: IncomingAlert[] } | { ok: false; error: string };

/** The protocol version each sender writes; any other is refused (400), not guessed at. */
export const payloadVersions: Record<AlertSource, string> = { alertmanager: "4", grafana: "1" };

class Malformed extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function stringRecord(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new Malformed(`${where} is not an object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") throw new Malformed(`${where}.${k} is not a string`);
    out[k] = x;
  }
  return out;
}

function optionalString(v: unknown, where: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw new Malformed(`${where} is not a string`);
  return v;
}

/**
 * Both senders always send a fingerprint (a hash of the label set); a hand-written or proxied body
 * may not, and the idempotency key needs one, so it is derived from the labels the same way.
 */
function labelFingerprint(labels: Record<string, string>): string {
  const text = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join("\u0001");
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

function parseAlert(raw: unknown, i: number): IncomingAlert {
  const where = `alerts[${i}]`;
  if (!isObject(raw)) throw new Malformed(`${where} is not an object`);
  const { status } = raw;
  if (status !== "firing" && status !== "resolved") {
    throw new Malformed(
      `${where}.status must be "firing" or "resolved", not ${JSON.stringify(status)}`,
    );
  }
  const labels = stringRecord(raw.labels, `${where}.labels`);
  const startsAt = optionalString(raw.startsAt, `${where}.startsAt`);
  if (startsAt === "") throw new Malformed(`${where}.startsAt is missing`);
  const fingerprint = optionalString(raw.fingerprint, `${where}.fingerprint`);
  return {
    status,
    labels,
    annotations: stringRecord(raw.annotations, `${where}.annotations`),
    startsAt,
    endsAt: optionalString(raw.endsAt, `${where}.endsAt`),
    fingerprint: fingerprint === "" ? labelFingerprint(labels) : fingerprint,
  };
}

/** The alerts of one webhook body (already JSON-decoded); an error is the reason for a 400. */
export function parseAlertPayload(source: AlertSource, body: unknown): ParsedPayload {
  if (!isObject(body)) return { ok: false, error: "the payload is not a JSON object" };
  const want = payloadVersions[source];
  if (body.version !== want) {
    const got =
      body.version === undefined ? "no version" : `version ${JSON.stringify(body.version)}`;
    return { ok: false, error: `${source} webhook: ${got}, want version "${want}"` };
  }
  if (!Array.isArray(body.alerts)) return { ok: false, error: "alerts is not an array" };
  try {
    return { ok: true, alerts: body.alerts.map(parseAlert) };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, error: err.message };
    throw err;
  }
}
