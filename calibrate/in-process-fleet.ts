// A calibration fleet whose replicas are the sim in process (in-process.ts), for measuring the
// sim's own model against the published curves (sim-fit.ts) with measure.ts, the calibration's
// one measuring path, in seconds rather than over sockets.
import type { PolicySnapshot } from "../proto/gen/mull/v1/fleet_pb.ts";
import { policyFormats } from "../router/formats/index.ts";
import type { SimFormat } from "../sim/format.ts";
import type { ModelConfig } from "../sim/model-config.ts";
import type { Fleet } from "./fleet.ts";
import { InProcessProposer, InProcessVerifier } from "./in-process.ts";

export function inProcessFleet(
  policy: PolicySnapshot,
  sim: { config: ModelConfig; simFormats?: readonly SimFormat[] },
): Fleet {
  const formats = policyFormats(policy);
  const backends = {
    proposer: new InProcessProposer(formats.proposer, sim),
    verifier: new InProcessVerifier(formats.verifier, sim),
  };
  return {
    source: "the sim in process",
    policy,
    formats,
    proposer: { model: "sim-proposer", endpoints: [] },
    verifier: { model: "sim-prm", endpoints: [] },
    forRequest: () => () => backends,
  };
}
