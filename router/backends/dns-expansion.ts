// The operator gives each pool one URL: its headless Service (no ClusterIP per pool, which
// runs out at a few thousand pools). Its DNS name resolves to every ready pod, so the router
// expands it into one replica per address and refreshes that list, keeping least-outstanding
// picking, affinity and ejection per pod. IP literals and names that do not resolve are used
// as they are.
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

export type Resolve = (hostname: string) => Promise<string[]>;

export const resolveAll: Resolve = async (hostname) =>
  (await lookup(hostname, { all: true })).map((a) => a.address);

// One endpoint URL → the URLs of the replicas behind it.
export async function expandEndpoint(endpoint: string, resolve: Resolve): Promise<string[]> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return [endpoint];
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) !== 0 || host === "localhost") return [endpoint];
  let addresses: string[];
  try {
    addresses = [...new Set(await resolve(host))].sort();
  } catch {
    return [endpoint];
  }
  if (addresses.length === 0) return [endpoint];
  return addresses.map((address) => {
    const replica = new URL(endpoint);
    replica.hostname = isIP(address) === 6 ? `[${address}]` : address;
    return replica.toString().replace(/\/+$/, "");
  });
}

export async function expandEndpoints(
  endpoints: readonly string[],
  resolve: Resolve,
): Promise<string[]> {
  const expanded = await Promise.all(endpoints.map((e) => expandEndpoint(e, resolve)));
  return [...new Set(expanded.flat())];
}
