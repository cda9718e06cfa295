// Each pool's context limit, as vLLM reports it: GET /v1/models lists the served model with
// `max_model_len`. Read once per pool and model and cached (a pool serves one model, and its
// replicas one --max-model-len); a failed read is not cached, so the next call asks again, and
// until then the call goes out unclamped.
import type { EndpointPool } from "./endpoint-pool.ts";
import { getJson, type RequestOptions } from "./http-json.ts";

const known = new WeakMap<EndpointPool, number>();

export async function maxModelLen(
  pool: EndpointPool,
  endpoint: string,
  signal: AbortSignal,
  options: RequestOptions = {},
): Promise<number | undefined> {
  const cached = known.get(pool);
  if (cached !== undefined) return cached;
  try {
    const raw = (await getJson(`${endpoint}/v1/models`, signal, options)) as {
      data?: { id?: unknown; max_model_len?: unknown }[];
    };
    const cards = Array.isArray(raw?.data) ? raw.data : [];
    const card = cards.find((c) => c?.id === pool.model) ?? cards[0];
    const limit = card?.max_model_len;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) return undefined;
    known.set(pool, limit);
    return limit;
  } catch {
    return undefined;
  }
}
