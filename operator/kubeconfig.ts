// A KubeConfig whose requests share one connection pool. client-node 2.0.1 builds a new undici
// Agent for every request (KubeConfig.applySecurityAuthentication -> createDispatcher), so each
// apply, list and watch opens its own TCP connection and does a full TLS handshake on both sides,
// and the idle connections pile up until they time out: most of the operator's CPU at scale and
// much of its memory, outside the V8 heap that --max-old-space-size caps. Here the first Agent
// made for a (cluster, user) pair serves every later request for that pair, as client-node
// already does for its WebSocket agents (agentCache).
import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

export class SharedConnectionsKubeConfig extends KubeConfig {
  private readonly dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const cluster = this.getCurrentCluster();
    const key = JSON.stringify([cluster?.name, cluster?.server, this.getCurrentUser()?.name]);
    const shared = this.dispatchers.get(key);
    if (shared) context.setDispatcher(shared);
    else this.dispatchers.set(key, fresh);
  }
}
