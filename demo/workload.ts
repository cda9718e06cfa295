// Sends problems through a router over gRPC, a bounded number at a time, and records what came
// back for each: the bin, the strategy, the generations spent and whether the answer was right.

import type { Progress } from "../calibrate/progress.ts";
import type { Router } from "../proto/gen/mull/v1/router_pb.ts";
import { strategyName } from "../router/engine/table.ts";
import type { ServiceClient } from "../router/grpc/adapter.ts";
import { type DatasetItem, judgeAnswer } from "../sim/dataset.ts";

export interface Outcome {
  id: string;
  bin: number;
  strategy: string;
  generations: number;
  correct: boolean;
  stoppedEarly: boolean;
}

export interface WorkloadOptions {
  client: ServiceClient<typeof Router>;
  policy: string;
  problems: readonly DatasetItem[];
  // A tag in every request id: the same problem under another run gets other seeds.
  run: string;
  maxGenerations?: number;
  difficultyHint?: number;
  concurrency: number;
  progress?: Progress;
}

export async function runWorkload(options: WorkloadOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(options.problems.length);
  let next = 0;
  const worker = async () => {
    while (next < options.problems.length) {
      const index = next++;
      const item = options.problems[index] as DatasetItem;
      const response = await options.client.solve({
        policy: options.policy,
        prompt: item.problem,
        requestId: `${options.run}-${item.id}`,
        ...(options.maxGenerations ? { budget: { maxGenerations: options.maxGenerations } } : {}),
        ...(options.difficultyHint ? { difficultyHint: options.difficultyHint } : {}),
      });
      outcomes[index] = {
        id: item.id,
        bin: response.bin,
        strategy: strategyName(response.config?.strategy ?? 0) ?? "unknown",
        generations: response.usage?.generations ?? 0,
        correct: judgeAnswer(item.answer, response.answer),
        stoppedEarly: response.stoppedEarly,
      };
      options.progress?.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  options.progress?.done();
  return outcomes;
}
