// Exact accounting of one request, and the guard that keeps it inside its budget.
//
// The guard reserves *before* each backend call, so no interleaving of concurrent calls can
// overshoot: a call may start new generations only if they fit, and its per-sample `max_tokens`
// is cut so that n · max_tokens fits what is left of the completion-token budget (the backend
// honours max_tokens, as vLLM does). After the call the reservation is settled with what the
// backend actually reported, which is what the response's Usage shows.
import { create } from "@bufbuild/protobuf";
import { type Usage, UsageSchema } from "../../proto/gen/mull/v1/router_pb.ts";

export interface UsageCounts {
  generations: number;
  proposerPromptTokens: number;
  proposerCompletionTokens: number;
  verifierTokens: number;
  backendCalls: number;
}

export interface Limits {
  generations: number;
  // Completion tokens for the whole request; Infinity when the client set no bound.
  completionTokens: number;
}

export const emptyUsage = (): UsageCounts => ({
  generations: 0,
  proposerPromptTokens: 0,
  proposerCompletionTokens: 0,
  verifierTokens: 0,
  backendCalls: 0,
});

export function toProtoUsage(u: UsageCounts): Usage {
  return create(UsageSchema, {
    generations: u.generations,
    proposerPromptTokens: BigInt(u.proposerPromptTokens),
    proposerCompletionTokens: BigInt(u.proposerCompletionTokens),
    verifierTokens: BigInt(u.verifierTokens),
    backendCalls: u.backendCalls,
  });
}

// A token reservation for one proposer call: settle it exactly once.
export interface TokenGrant {
  perSample: number;
  reserved: number;
  // The call asked for more per sample than the budget left it.
  cut: boolean;
}

export class Ledger {
  readonly limits: Limits;
  readonly usage: UsageCounts = emptyUsage();
  // True once a sample ran into a max_tokens that the token budget had cut: the search was cut
  // short and the answer is a best-so-far (SolveResponse.partial).
  clipped = false;
  #reservedTokens = 0;

  constructor(limits: Limits) {
    this.limits = limits;
  }

  get remainingGenerations(): number {
    return this.limits.generations - this.usage.generations;
  }

  get remainingTokens(): number {
    return (
      this.limits.completionTokens - this.usage.proposerCompletionTokens - this.#reservedTokens
    );
  }

  // Counts `n` new generations, or returns false (counting nothing) when they would not fit.
  takeGenerations(n: number): boolean {
    if (n > this.remainingGenerations) return false;
    this.usage.generations += n;
    return true;
  }

  // Gives back generations a call did not deliver (the backend returned fewer samples).
  returnGenerations(n: number): void {
    this.usage.generations -= n;
  }

  // Reserves tokens for a call of `n` samples that would like `wanted` tokens each. Returns the
  // per-sample max_tokens that fits (possibly fewer than wanted), or undefined when not even
  // `minimum` tokens per sample are left.
  reserveTokens(n: number, wanted: number, minimum = 1): TokenGrant | undefined {
    const perSample = Math.min(wanted, Math.floor(this.remainingTokens / n));
    if (perSample < minimum) return undefined;
    const reserved = perSample * n;
    this.#reservedTokens += reserved;
    return { perSample, reserved, cut: perSample < wanted };
  }

  // `longest` is the most tokens one sample of the call used: a sample that filled a cut
  // max_tokens was truncated by the budget, not by the model.
  settleProposer(
    grant: TokenGrant,
    promptTokens: number,
    completionTokens: number,
    longest = 0,
  ): void {
    if (grant.cut && longest >= grant.perSample) this.clipped = true;
    this.#reservedTokens -= grant.reserved;
    this.usage.backendCalls += 1;
    this.usage.proposerPromptTokens += promptTokens;
    this.usage.proposerCompletionTokens += completionTokens;
  }

  // A proposer call that failed: free its reservation, but it still was a backend call.
  cancelProposer(grant: TokenGrant): void {
    this.#reservedTokens -= grant.reserved;
    this.usage.backendCalls += 1;
  }

  settleVerifier(tokens: number): void {
    this.usage.backendCalls += 1;
    this.usage.verifierTokens += tokens;
  }

  failedVerifier(): void {
    this.usage.backendCalls += 1;
  }
}
