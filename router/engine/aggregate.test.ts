import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Aggregation } from "../../proto/gen/mull/v1/router_pb.ts";
import { aggregate, aggregationName } from "./aggregate.ts";

describe("aggregate", () => {
  const steps = [0.9, 0.5, 0.8];
  it("reduces step scores by last, min or prod", () => {
    assert.equal(aggregate(steps, "last"), 0.8);
    assert.equal(aggregate(steps, "min"), 0.5);
    assert.ok(Math.abs(aggregate(steps, "prod") - 0.36) < 1e-12);
  });
  it("scores a solution without steps 0", () => {
    for (const how of ["last", "min", "prod"] as const) assert.equal(aggregate([], how), 0);
  });
  it("maps the proto enum, defaulting to last", () => {
    assert.equal(aggregationName(Aggregation.min), "min");
    assert.equal(aggregationName(Aggregation.prod), "prod");
    assert.equal(aggregationName(Aggregation.AGGREGATION_UNSPECIFIED), "last");
    assert.equal(aggregationName(42), "last");
  });
});
