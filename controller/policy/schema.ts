// THE definition of the TestTimePolicy API (mull.dev/v1alpha1). crds/generate.ts emits the CRD
// YAML and controller/policy/types.gen.ts from this one value; CI regenerates both and fails on a
// diff. Validation lives here too (structural bounds, defaults and CEL rules), so the API server
// rejects a bad policy at `kubectl apply` time with a message naming the problem.
//
// CEL cost: the API server estimates each rule's worst case from maxItems/maxLength, so every list
// and string carries a bound; the quadratic rules (uniqueness) run over lists of at most 10.
import {
  aggregationNames,
  alertActions,
  alertResults,
  alertSources,
  beamStrategies,
  estimatorNames,
  promptFormatNames,
  roles,
  scalingModes,
  strategyNames,
  verifierFormatNames,
} from "./names.ts";
import {
  bool,
  int,
  list,
  num,
  obj,
  oneOf,
  opaque,
  quantity,
  type SchemaNode,
  str,
  stringMap,
} from "./schema-dsl.ts";

export const maxBins = 10;
export const maxLevels = 8;
export const maxGenerations = 1024;
const maxReplicas = 100;

const resources = obj(
  "Compute resources of the vLLM container. nvidia.com/gpu is set from `gpus` and need not be repeated here.",
  {
    requests: {
      ...stringMapOfQuantities("Minimum resources (cpu, memory, ephemeral-storage, ...)."),
    },
    limits: {
      ...stringMapOfQuantities("Maximum resources (cpu, memory, ...)."),
    },
  },
  { tsName: "Resources" },
);

function stringMapOfQuantities(description: string): SchemaNode {
  return {
    description,
    type: "object",
    additionalProperties: quantity("A quantity such as 500m, 16Gi or 4."),
    maxProperties: 16,
  };
}

const toleration = obj(
  "A core/v1 Toleration: lets replicas schedule onto nodes with a matching taint.",
  {
    key: str("Taint key to match; empty with operator Exists matches every taint."),
    operator: oneOf("How key and value are compared.", ["Exists", "Equal"]),
    value: str("Taint value to match when operator is Equal."),
    effect: oneOf("Taint effect to match; empty matches all effects.", [
      "NoSchedule",
      "PreferNoSchedule",
      "NoExecute",
    ]),
    tolerationSeconds: {
      ...int("For NoExecute: how long the pod stays bound after the taint appears."),
      format: "int64",
    },
  },
  { tsName: "Toleration" },
);

const envVar = obj(
  "A core/v1 EnvVar for the vLLM container.",
  {
    name: str("Variable name.", { minLength: 1 }),
    value: str("Literal value.", { maxLength: 4096 }),
    valueFrom: opaque(
      "A core/v1 EnvVarSource (secretKeyRef, configMapKeyRef, fieldRef, resourceFieldRef), passed through as is.",
    ),
  },
  { required: ["name"], tsName: "EnvVar" },
);

const apiKeySecretRef = obj(
  "A Secret holding the API key vLLM requires of every /v1 request (VLLM_API_KEY, as --api-key " +
    "does). The router sends it as `Authorization: Bearer`, read from " +
    "/var/run/secrets/mull/api-keys/<name>/<key>: mount the Secret there in the router's pod " +
    "(the chart's router.apiKeySecrets does). vLLM does not guard /pooling with the key.",
  {
    name: str("The Secret's name, in the policy's namespace.", { minLength: 1, maxLength: 253 }),
    key: str("The key in the Secret that holds the API key.", {
      default: "api-key",
      minLength: 1,
      maxLength: 253,
    }),
  },
  { required: ["name"], tsName: "ApiKeySecretRef" },
);

// The router must know the served name and the key, so they are fields, not free arguments.
const servingIdentityRule = {
  rule: "!has(self.args) || !self.args.exists(a, a.startsWith('--served-model-name') || a.startsWith('--api-key'))",
  message:
    "use servedModelName and apiKeySecretRef instead of --served-model-name / --api-key in args: the router must send the same name and key",
  fieldPath: ".args",
};

/** The fields shared by the proposer and the verifier model servers. */
function modelServerProperties(role: string): Record<string, SchemaNode> {
  return {
    model: str(
      `The ${role} model, as \`vllm serve <model>\` takes it: a Hugging Face repo id or a local path.`,
      { minLength: 1, maxLength: 512 },
    ),
    servedModelName: str(
      "The name vLLM serves the model under (--served-model-name); the router sends it as " +
        "`model`. Absent: the model itself.",
      { minLength: 1, maxLength: 256 },
    ),
    apiKeySecretRef,
    image: str("The vLLM container image.", {
      default: "vllm/vllm-openai:v0.11.0",
      minLength: 1,
      maxLength: 512,
    }),
    gpus: int("nvidia.com/gpu per replica (vLLM's tensor-parallel size is usually the same).", {
      default: 1,
      minimum: 0,
      maximum: 16,
    }),
    args: list(
      "Extra arguments appended to `vllm serve <model>`, e.g. --max-model-len=4096.",
      str("One argument.", { maxLength: 1024 }),
      { maxItems: 64 },
    ),
    resources,
    nodeSelector: stringMap("Node labels a replica's node must carry."),
    tolerations: list("Tolerations for the replicas' pods.", toleration, { maxItems: 32 }),
    env: list("Extra environment variables for the vLLM container.", envVar, { maxItems: 64 }),
    capacityTokensPerSecond: int(
      "Tokens per second one replica sustains at the target latency; the planner sizes pools with it.",
      { minimum: 1 },
    ),
  };
}

const maxTemplateChars = 32768;

const prompt = obj(
  "How the router talks to the proposer model: prompt layout, chat template, step delimiter and " +
    "sampling. Every field is optional; absent fields keep Mull's built-in math prompt " +
    "(router/formats/README.md), which works on base models and on the simulator.",
  {
    format: oneOf(
      "completion: the router renders the prompt (with `chatTemplate` when given) and calls " +
        "/v1/completions. chat: the router calls /v1/chat/completions with the solution so far as " +
        "the final assistant message (continue_final_message), so vLLM applies the model's own " +
        "chat template. Absent: completion.",
      promptFormatNames,
    ),
    system: str(
      "A system message. completion mode without chatTemplate: put at the start of the text; " +
        "with a chat template or in chat mode: the system turn.",
      { maxLength: 8192 },
    ),
    solve: str(
      "The user turn for a fresh solution; `{problem}` is replaced by the client's prompt.",
      { minLength: 1, maxLength: 8192 },
    ),
    revise: str(
      "The user turn for a revision: `{problem}` and `{attempts}` (the earlier attempts, newest " +
        "last), in any order, so earlier attempts may come before or after the problem.",
      { minLength: 1, maxLength: 8192 },
    ),
    attempt: str(
      "How one earlier attempt is rendered inside `{attempts}`: `{attempt}` and optionally `{index}` (1, 2, …).",
      { minLength: 1, maxLength: 1024 },
    ),
    stepDelimiter: str(
      "The text between reasoning steps; also the `stop` string when one step is generated. Absent: a blank line.",
      { minLength: 1, maxLength: 64 },
    ),
    chatTemplate: str(
      "completion mode: the model's Jinja chat template (tokenizer_config.json `chat_template`), " +
        "rendered by the router. chat mode: passed to vLLM as --chat-template (vLLM refuses " +
        "per-request templates unless --trust-request-chat-template).",
      { minLength: 1, maxLength: maxTemplateChars },
    ),
    chatTemplateConfigMap: obj(
      "The chat template from a ConfigMap in the policy's namespace instead of inline: the " +
        "operator reads it at every reconcile (so an edit applies within a resync).",
      {
        name: str("The ConfigMap's name.", { minLength: 1, maxLength: 253 }),
        key: str("The key holding the template.", { minLength: 1, maxLength: 253 }),
      },
      { required: ["name", "key"], tsName: "ConfigMapKey" },
    ),
    temperature: num(
      "Sampling temperature, sent with every call. Absent: the router's --temperature (0.8, as search-and-learn).",
      { minimum: 0, maximum: 2 },
    ),
    topP: num(
      "Nucleus sampling top_p, sent with every call (vLLM otherwise takes the model's " +
        "generation_config.json). Absent: 1.0.",
      { minimum: 0, maximum: 1 },
    ),
    topK: int(
      "top_k, sent with every call. Absent: no top-k cut (sent as -1, overriding generation_config.json).",
      { minimum: 1, maximum: 100000 },
    ),
  },
  {
    tsName: "PromptFormat",
    rules: [
      {
        rule: "!has(self.solve) || self.solve.contains('{problem}')",
        message: "proposer.prompt.solve must contain {problem}",
        fieldPath: ".solve",
      },
      {
        rule: "!has(self.revise) || (self.revise.contains('{problem}') && self.revise.contains('{attempts}'))",
        message: "proposer.prompt.revise must contain {problem} and {attempts}",
        fieldPath: ".revise",
      },
      {
        rule: "!(has(self.chatTemplate) && has(self.chatTemplateConfigMap))",
        message: "proposer.prompt: give chatTemplate or chatTemplateConfigMap, not both",
        fieldPath: ".chatTemplateConfigMap",
      },
      {
        // A rule, not `minimum`: the API server checks an integer 0 against a fractional minimum
        // in integers, so `minimum: 0.001` would let `topP: 0` through.
        rule: "!has(self.topP) || self.topP > 0.0",
        message: "proposer.prompt.topP must be in (0, 1]",
        fieldPath: ".topP",
      },
      {
        rule: "!has(self.attempt) || self.attempt.contains('{attempt}')",
        message: "proposer.prompt.attempt must contain {attempt}",
        fieldPath: ".attempt",
      },
    ],
  },
);

const proposer = obj(
  "The proposer: the LLM that samples solutions and steps (vLLM's OpenAI-compatible completions API).",
  { ...modelServerProperties("proposer"), prompt },
  { required: ["model"], tsName: "ModelServer", rules: [servingIdentityRule] },
);

const verifier = obj(
  "The verifier: a process reward model served by vLLM with `--runner pooling`, scoring each step.",
  {
    ...modelServerProperties("verifier (PRM)"),
    aggregation: oneOf(
      "How per-step PRM scores become one solution score; Snell et al. found `last` best.",
      aggregationNames,
      { default: "last" },
    ),
    stepSeparator: str(
      "Without `format`: the PRM's step token, put after every reasoning step of the plain " +
        "verifier input `{problem}\\n\\n{steps}`; the PRM returns one [neg, pos] row per " +
        "occurrence. With `format`, the format decides (custom: `stepTag`).",
      { default: "<extra_0>", minLength: 1, maxLength: 64 },
    ),
    format: oneOf(
      "The PRM's input format. qwen2.5-math-prm: Qwen2.5-Math-PRM's chat template and system " +
        "message, <extra_0> after each step. math-shepherd: Math-Shepherd's `ки` step tag (the " +
        "operator passes vLLM its STEP --pooler-config). custom: `template`, `stepTag`, " +
        "`positiveIndex`. Absent: the plain input `{problem}\\n\\n{steps}` with `stepSeparator`.",
      verifierFormatNames,
    ),
    template: str(
      "custom: the verifier input; `{problem}` and `{steps}` (each step followed by `stepTag`).",
      { minLength: 1, maxLength: maxTemplateChars },
    ),
    stepTag: str("custom: the step tag after every step; the PRM scores at each occurrence.", {
      minLength: 1,
      maxLength: 64,
    }),
    positiveIndex: int(
      "custom: which entry of each returned row is P(step correct). Absent: 1 ([neg, pos]).",
      { minimum: 0, maximum: 15 },
    ),
    stepTagId: int(
      "custom: the step tag's token id; with returnedTokenIds the operator passes vLLM " +
        "--pooler-config with STEP pooling (unless args already set --pooler-config).",
      { minimum: 0, maximum: 10000000 },
    ),
    returnedTokenIds: list(
      "custom: the label token ids vLLM returns per step (row order), e.g. [good, bad].",
      int("A token id.", { minimum: 0, maximum: 10000000 }),
      { minItems: 2, maxItems: 16 },
    ),
  },
  {
    required: ["model"],
    tsName: "Verifier",
    rules: [
      servingIdentityRule,
      {
        rule: "!has(self.args) || !self.args.exists(a, a.startsWith('--enable-prefix-caching'))",
        message:
          "verifier.args must not enable prefix caching: vLLM's STEP pooler scores only the tokens it computes, so cached prefixes would lose their step scores",
        fieldPath: ".args",
      },
      {
        rule: "!has(self.format) || self.format != 'custom' || has(self.stepTag)",
        message: "verifier.stepTag is required when verifier.format is custom",
        fieldPath: ".stepTag",
      },
      {
        rule: "!has(self.format) || self.format != 'custom' || has(self.template)",
        message: "verifier.template is required when verifier.format is custom",
        fieldPath: ".template",
      },
      {
        rule: "!has(self.template) || (self.template.contains('{problem}') && self.template.contains('{steps}'))",
        message: "verifier.template must contain {problem} and {steps}",
        fieldPath: ".template",
      },
      {
        rule: "(!has(self.template) && !has(self.stepTag) && !has(self.positiveIndex) && !has(self.stepTagId) && !has(self.returnedTokenIds)) || (has(self.format) && self.format == 'custom')",
        message:
          "verifier.template, stepTag, positiveIndex, stepTagId and returnedTokenIds apply only to verifier.format custom",
        fieldPath: ".format",
      },
      {
        rule: "has(self.stepTagId) == has(self.returnedTokenIds)",
        message: "verifier.stepTagId and verifier.returnedTokenIds go together",
        fieldPath: ".stepTagId",
      },
      {
        rule: "!has(self.positiveIndex) || !has(self.returnedTokenIds) || self.positiveIndex < size(self.returnedTokenIds)",
        message: "verifier.positiveIndex must index into verifier.returnedTokenIds",
        fieldPath: ".positiveIndex",
      },
    ],
  },
);

const difficulty = obj(
  "How a prompt's difficulty bin is estimated before choosing a strategy.",
  {
    bins: int("Number of difficulty bins; bin 1 is the easiest.", {
      default: 5,
      minimum: 1,
      maximum: maxBins,
    }),
    estimator: oneOf(
      "probe: score a few proposer samples with the verifier; hint: trust the client's bin.",
      estimatorNames,
      { default: "probe" },
    ),
    probeSamples: int("Proposer samples drawn to estimate difficulty (they seed the strategy).", {
      default: 4,
      minimum: 1,
      maximum: 64,
    }),
    maxProbeFraction: num(
      "The most of a request's generation budget the probe may take, in (0, 1]. At 0.5 a budget of 4 probes with 2 samples and leaves 2 to the bin's strategy; at 1 the probe may take the whole budget, and the response then says probeOnly.",
      { default: 1, exclusiveMinimum: true, minimum: 0, maximum: 1 },
    ),
    thresholds: list(
      "bins-1 strictly increasing cut points in [0,1] on the probe's mean PRM score, normally written by calibration. Absent: evenly spaced.",
      num("A cut point.", { minimum: 0, maximum: 1 }),
      { maxItems: maxBins - 1 },
    ),
  },
  {
    default: {},
    tsName: "Difficulty",
    rules: [
      {
        rule: "!has(self.thresholds) || size(self.thresholds) == self.bins - 1",
        message: "difficulty.thresholds must have exactly bins-1 entries",
        fieldPath: ".thresholds",
      },
      {
        rule: "!has(self.thresholds) || (self.thresholds.isSorted() && self.thresholds.all(t, self.thresholds.exists_one(u, u == t)))",
        message: "difficulty.thresholds must be strictly increasing",
        fieldPath: ".thresholds",
      },
    ],
  },
);

const budget = obj(
  "Compute budgets: per request (generations) and for the whole fleet (GPUs).",
  {
    defaultGenerations: int("Generations per request when the client does not ask.", {
      default: 16,
      minimum: 1,
      maximum: maxGenerations,
    }),
    maxGenerations: int("The most generations one request may ask for.", {
      default: 64,
      minimum: 1,
      maximum: maxGenerations,
    }),
    gpus: int("The fleet GPU budget: all of this policy's replicas together, in nvidia.com/gpu.", {
      maximum: 100000,
    }),
  },
  {
    required: ["gpus"],
    tsName: "Budget",
    rules: [
      {
        rule: "self.maxGenerations >= self.defaultGenerations",
        message: "budget.maxGenerations must be >= budget.defaultGenerations",
        fieldPath: ".maxGenerations",
      },
      {
        rule: "self.gpus > 0",
        message: "budget.gpus must be a positive number of GPUs",
        fieldPath: ".gpus",
      },
    ],
  },
);

const beamList = beamStrategies.map((s) => `'${s}'`).join(", ");
const strategyLevel = obj(
  "One budget level of a bin's strategy table: what to run when a request may spend `generations`.",
  {
    generations: int("The budget level: proposer generations (solutions, or beams for search).", {
      minimum: 1,
      maximum: maxGenerations,
    }),
    strategy: oneOf("The test-time strategy at this level.", strategyNames),
    beamWidth: int("beam/dvts: beams kept per step; must divide generations.", {
      minimum: 1,
      maximum: maxGenerations,
    }),
    lookahead: int("lookahead: greedy rollout depth in steps.", { minimum: 0, maximum: 64 }),
    sequentialRatio: num(
      "revision: the fraction of generations spent sequentially (1 = one long revision chain).",
      { minimum: 0, maximum: 1 },
    ),
    maxSteps: int("Search strategies: the most steps one solution may take.", {
      minimum: 1,
      maximum: 1024,
    }),
    expectedAccuracy: num(
      "The accuracy calibration measured for this bin at this level (0-1). The planner keeps the levels that maximise demand-weighted accuracy when GPUs run short; absent, it assumes accuracy rises with the level.",
      { minimum: 0, maximum: 1 },
    ),
    proposerTokens: num(
      "Proposer tokens one request costs at this level (from calibration); the planner sizes pools with it until routers report measured costs.",
      { minimum: 0, maximum: 1e9 },
    ),
    verifierTokens: num(
      "Verifier (PRM) tokens one request costs at this level (from calibration); as proposerTokens.",
      { minimum: 0, maximum: 1e9 },
    ),
  },
  {
    required: ["generations", "strategy"],
    tsName: "StrategyLevel",
    rules: [
      {
        rule: "!has(self.beamWidth) || self.generations % self.beamWidth == 0",
        message: "beamWidth must divide generations",
        fieldPath: ".beamWidth",
      },
      {
        rule: `!(self.strategy in [${beamList}]) || has(self.beamWidth)`,
        message: "beam and dvts strategies need beamWidth",
        fieldPath: ".beamWidth",
      },
      {
        rule: "self.strategy != 'lookahead' || (has(self.lookahead) && self.lookahead > 0)",
        message: "the lookahead strategy needs lookahead >= 1",
        fieldPath: ".lookahead",
      },
    ],
  },
);

function poolBounds(role: string): SchemaNode {
  return obj(
    `Replica bounds of this bin's ${role} pool.`,
    {
      minReplicas: int(
        "Replicas the pool never goes below; 0 lets the planner stop an idle bin's pool (manual mode runs exactly this many).",
        { default: 1, minimum: 0, maximum: maxReplicas },
      ),
      maxReplicas: int("Replicas the pool never goes above; absent means minReplicas.", {
        minimum: 0,
        maximum: maxReplicas,
      }),
    },
    {
      default: {},
      tsName: "PoolBounds",
      rules: [
        {
          rule: "!has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",
          message: "minReplicas must be <= maxReplicas",
          fieldPath: ".minReplicas",
        },
      ],
    },
  );
}

const bin = obj(
  "One difficulty bin: its strategy table and the bounds of its proposer and verifier pools.",
  {
    bin: int("The bin number, 1 (easiest) to difficulty.bins (hardest).", {
      minimum: 1,
      maximum: maxBins,
    }),
    strategies: list(
      "The strategy table by budget level; the router picks the highest level the request affords.",
      strategyLevel,
      {
        minItems: 1,
        maxItems: maxLevels,
        rules: [
          {
            rule: "self.all(s, self.exists_one(t, t.generations == s.generations))",
            message: "each budget level (generations) may appear only once in a bin's strategies",
          },
        ],
      },
    ),
    proposer: poolBounds("proposer"),
    verifier: poolBounds("verifier"),
  },
  { required: ["bin", "strategies"], tsName: "BinSpec" },
);

const modelCache = obj(
  "An optional PersistentVolumeClaim holding downloaded models, shared by every replica (ReadWriteMany or ReadOnlyMany).",
  {
    claimName: str("The PersistentVolumeClaim's name, in the policy's namespace.", {
      minLength: 1,
      maxLength: 253,
    }),
    mountPath: str("Where the cache is mounted; HF_HOME points there.", {
      default: "/models",
      maxLength: 512,
    }),
    readOnly: bool("Mount read-only (the models must already be there).", { default: false }),
  },
  { required: ["claimName"], tsName: "ModelCache" },
);

const huggingFaceToken = obj(
  "An optional Secret holding a Hugging Face token for gated models; exposed to vLLM as HF_TOKEN.",
  {
    secretName: str("The Secret's name, in the policy's namespace.", {
      minLength: 1,
      maxLength: 253,
    }),
    key: str("The key in the Secret that holds the token.", { default: "token", maxLength: 253 }),
  },
  { required: ["secretName"], tsName: "HuggingFaceToken" },
);

const alerts = obj(
  "Alerts from Alertmanager or Grafana (the operator's --alerts-port webhook, docs/alerts.md): a " +
    "firing alert with mull_* labels sets a bounded override on top of the planner (on top of " +
    "minReplicas in manual mode); external mode refuses them.",
  {
    enabled: bool("Apply alerts to this policy; false answers every alert `disabled`.", {
      default: true,
    }),
    maxStep: int(
      "The most replicas (scale_*) or levels (budget_*) one alert moves one target; a larger mull_step is clamped.",
      { default: 2, minimum: 1, maximum: maxReplicas },
    ),
    cooldownSeconds: int(
      "How long after a step on a pool (or a bin's level) another alert may step it again.",
      { default: 300, minimum: 0, maximum: 86400 },
    ),
    ttlSeconds: int(
      "An override not re-sent for this long expires; keep the sender's repeat interval below it.",
      { default: 900, minimum: 1, maximum: 604800 },
    ),
  },
  {
    default: {},
    tsName: "AlertScaling",
    rules: [
      {
        // has(): the API server checks the `{}` default against this rule before filling in
        // the fields' own defaults; a stored object always has both.
        rule: "!has(self.ttlSeconds) || !has(self.cooldownSeconds) || self.ttlSeconds > self.cooldownSeconds",
        message:
          "scaling.alerts.ttlSeconds must exceed cooldownSeconds, or an override expires before the next step is allowed",
        fieldPath: ".ttlSeconds",
      },
    ],
  },
);

const scaling = obj(
  "Who sizes the pools.",
  {
    mode: oneOf(
      "planner: the operator sizes pools from demand (minReplicas until demand and costs are known) and caps budget levels to fit budget.gpus; manual: each pool runs minReplicas; external: HPA/KEDA own spec.replicas and the operator never writes it.",
      scalingModes,
      { default: "planner" },
    ),
    targetUtilization: num("The planner's target utilisation of replica capacity.", {
      default: 0.7,
      minimum: 0.05,
      maximum: 1,
    }),
    stabilizationSeconds: int(
      "How long demand must stay lower before the planner scales a pool down (scale-ups happen at once).",
      { default: 300, minimum: 0, maximum: 86400 },
    ),
    maxScaleUpStep: int(
      "The most replicas the planner adds to one pool in one step; absent: no limit.",
      { minimum: 1, maximum: maxReplicas },
    ),
    alerts,
  },
  { default: {}, tsName: "Scaling" },
);

const calibration = obj(
  "What `mull calibrate` measured this policy's thresholds and strategy tables on; written by " +
    "`mull calibrate --apply` (field manager mull-calibrate). The operator reports it in the " +
    "Calibrated condition.",
  {
    datasetSha256: str("The SHA-256 of the dataset file, as 64 lowercase hex digits.", {
      minLength: 64,
      maxLength: 64,
      pattern: "^[0-9a-f]{64}$",
    }),
    problems: int("How many problems the dataset held.", { minimum: 1 }),
    calibratedAt: str("When the calibration run finished (RFC 3339).", {
      format: "date-time",
      maxLength: 64,
    }),
    budgets: list(
      "The budgets (generations per request) calibration chose a strategy for.",
      int("A budget in generations.", { minimum: 1, maximum: maxGenerations }),
      { maxItems: maxLevels },
    ),
  },
  { required: ["datasetSha256", "problems", "calibratedAt"], tsName: "Calibration" },
);

export const specSchema: SchemaNode = obj(
  "The desired test-time scaling policy: models, difficulty bins, strategy tables and pool sizes.",
  {
    proposer,
    verifier,
    difficulty,
    budget,
    bins: list("Per difficulty bin: the strategy table and the pool bounds.", bin, {
      minItems: 1,
      maxItems: maxBins,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["bin"],
    }),
    scaling,
    modelCache,
    huggingFaceToken,
    calibration,
  },
  {
    required: ["proposer", "verifier", "budget", "bins"],
    tsName: "TestTimePolicySpec",
    rules: [
      {
        rule: "self.bins.all(b, b.bin <= self.difficulty.bins)",
        message: "every bins[].bin must be within 1..difficulty.bins",
        fieldPath: ".bins",
      },
      {
        rule: "self.bins.all(b, self.bins.exists_one(c, c.bin == b.bin))",
        message: "bins[].bin must be unique: one entry per bin",
        fieldPath: ".bins",
      },
      {
        rule: "self.bins.all(b, b.strategies.all(s, s.generations <= self.budget.maxGenerations))",
        message: "a strategy's generations may not exceed budget.maxGenerations",
        fieldPath: ".bins",
      },
    ],
  },
);

const replicaCounts = obj(
  "Replica counts of one pool.",
  {
    desiredReplicas: int(
      "Replicas the operator asks for (in external mode: what the autoscaler set).",
    ),
    readyReplicas: int("Replicas ready to serve."),
    pendingPods: int("Pods that cannot be scheduled (e.g. Insufficient nvidia.com/gpu)."),
    tokensPerRequest: num("Tokens one request costs this role, as the planner sized the pool."),
    reason: str("The planner's last decision for this pool (scale_up, scale_down_delayed, ...).", {
      maxLength: 64,
    }),
  },
  { tsName: "PoolStatus" },
);

const condition = obj(
  "A metav1.Condition.",
  {
    type: str("Ready, Progressing, Degraded, BudgetLimited or Calibrated.", { maxLength: 64 }),
    status: oneOf("True, False or Unknown.", ["True", "False", "Unknown"]),
    observedGeneration: {
      ...int("The policy generation this condition was computed for."),
      format: "int64",
    },
    lastTransitionTime: str("When status last changed.", { format: "date-time", maxLength: 64 }),
    reason: str("A CamelCase reason.", { maxLength: 128 }),
    message: str("A human-readable explanation.", { maxLength: 4096 }),
  },
  {
    required: ["type", "status", "lastTransitionTime", "reason", "message"],
    tsName: "Condition",
  },
);

/** Bounds on status.alerts, so that a flood of alerts cannot grow the status without limit. */
export const maxAlertOverrides = 64;
export const alertFieldChars = { fingerprint: 128, startsAt: 64, alertname: 256 } as const;
const maxAlertKeyChars = alertFieldChars.fingerprint + 1 + alertFieldChars.startsAt;

const alertOverride = obj(
  "One alert's override on one target (a pool for scale_*, a bin's level for budget_*), in force " +
    "until the alert resolves or is not re-sent within ttlSeconds.",
  {
    key: str("The idempotency key: fingerprint@startsAt.", {
      minLength: 1,
      maxLength: maxAlertKeyChars,
    }),
    fingerprint: str("The sender's fingerprint of the alert's label set.", {
      maxLength: alertFieldChars.fingerprint,
    }),
    startsAt: str("When the alert started firing, as the sender wrote it.", {
      maxLength: alertFieldChars.startsAt,
    }),
    source: oneOf("The sender.", alertSources),
    alertname: str("The alert's alertname label.", { maxLength: alertFieldChars.alertname }),
    bin: int("The bin this override moves.", { minimum: 1, maximum: maxBins }),
    role: oneOf("The pool's role (scale_*); absent for budget_*.", roles),
    action: oneOf("What the alert asked for.", alertActions),
    step: int(
      "The signed step actually applied: replicas (scale_*) or levels (budget_*); 0 when a bound left no room.",
      { minimum: -maxReplicas, maximum: maxReplicas },
    ),
    appliedAt: str("When the override was applied.", { format: "date-time", maxLength: 64 }),
    lastSeenAt: str("When the sender last sent the alert firing (the TTL counts from here).", {
      format: "date-time",
      maxLength: 64,
    }),
  },
  {
    required: [
      "key",
      "fingerprint",
      "startsAt",
      "source",
      "alertname",
      "bin",
      "action",
      "step",
      "appliedAt",
      "lastSeenAt",
    ],
    tsName: "AlertOverride",
  },
);

const alertStep = obj(
  "When an alert last stepped one target, for the cooldown.",
  {
    bin: int("The bin.", { minimum: 1, maximum: maxBins }),
    role: oneOf("The pool's role; absent: the bin's level.", roles),
    at: str("When.", { format: "date-time", maxLength: 64 }),
  },
  { required: ["bin", "at"], tsName: "AlertStep" },
);

const alertsStatus = obj(
  "The alert overrides in force and the cooldown clocks. Written by the operator's alert webhook " +
    "before it answers, so an override survives a restart or a leader change.",
  {
    overrides: list("The overrides in force, oldest first.", alertOverride, {
      maxItems: maxAlertOverrides,
    }),
    steps: list("The last step time of each target an alert stepped.", alertStep, {
      // Every pool, plus every bin's level.
      maxItems: maxBins * (roles.length + 1),
    }),
  },
  { tsName: "AlertsStatus" },
);

const lastAlert = obj(
  "The last alert the webhook handled for this policy, and what became of it.",
  {
    time: str("When it was handled.", { format: "date-time", maxLength: 64 }),
    source: oneOf("The sender.", alertSources),
    alertname: str("The alert's alertname label.", { maxLength: alertFieldChars.alertname }),
    action: oneOf("What it asked for.", alertActions),
    bin: int("The bin it named; absent for mull_bin=all.", { minimum: 1, maximum: maxBins }),
    role: oneOf("The role it named (scale_*).", [...roles, "both"]),
    result: oneOf("What became of it.", alertResults),
    message: str("What it did, or why not.", { maxLength: 1024 }),
  },
  { required: ["time", "source", "alertname", "result", "message"], tsName: "LastAlert" },
);

export const statusSchema: SchemaNode = obj(
  "What the operator observed: pools, GPUs and conditions.",
  {
    observedGeneration: {
      ...int("The metadata.generation this status reflects."),
      format: "int64",
    },
    conditions: list("Ready, Progressing, Degraded, BudgetLimited and Calibrated.", condition, {
      maxItems: 16,
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    }),
    bins: list(
      "Per bin, desired and ready replicas of each role.",
      obj(
        "One bin's pools.",
        {
          bin: int("The bin number."),
          requestsPerSecond: num("Demand the routers report for this bin (requests per second)."),
          level: int(
            "The budget level in force: the index (0 = cheapest) of the strategy-table level requests get.",
          ),
          maxLevel: int(
            "The highest level routers may use (0-based): the planner's cap, moved by budget_* alerts in force; absent: no cap.",
          ),
          proposer: replicaCounts,
          verifier: replicaCounts,
        },
        { required: ["bin", "proposer", "verifier"], tsName: "BinStatus" },
      ),
      { maxItems: maxBins },
    ),
    planner: opaque(
      "The planner's own state (held demand, pending scale-downs, last desired replicas), so that a restarted or new leader resumes without flapping. Written by the operator.",
    ),
    gpus: obj(
      "GPUs this policy requests against its budget.",
      {
        requested: int("nvidia.com/gpu of all desired replicas."),
        budget: int("spec.budget.gpus."),
        pending: int("nvidia.com/gpu of pods that could not be scheduled."),
      },
      { required: ["requested", "budget"], tsName: "GpuStatus" },
    ),
    alerts: alertsStatus,
    lastAlert,
  },
  { tsName: "TestTimePolicyStatus" },
);

export const printerColumns = [
  {
    name: "Bins",
    type: "integer",
    jsonPath: ".spec.difficulty.bins",
    description: "Difficulty bins",
  },
  {
    name: "GPUs",
    type: "integer",
    jsonPath: ".status.gpus.requested",
    description: "GPUs requested",
  },
  { name: "Budget", type: "integer", jsonPath: ".spec.budget.gpus", description: "GPU budget" },
  {
    name: "Ready",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: "Every pool has its replicas ready",
  },
  {
    name: "Reason",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
    priority: 1,
    description: "Why the policy is or is not ready",
  },
  {
    name: "Calibrated",
    type: "string",
    jsonPath: '.status.conditions[?(@.type=="Calibrated")].status',
    priority: 1,
    description: "spec.calibration is set: the tables come from mull calibrate",
  },
  { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: "Age" },
];
