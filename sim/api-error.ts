// vLLM's error body: {"error": {"message", "type", "param", "code"}}, where `code` repeats the
// HTTP status and `type` names the error class (BadRequestError, NotFoundError, ...).
export interface ApiError {
  status: number;
  body: { error: { message: string; type: string; param: string | null; code: number } };
}

const TYPES: Record<number, string> = {
  400: "BadRequestError",
  404: "NotFoundError",
  500: "InternalServerError",
  503: "ServiceUnavailableError",
};

export function apiError(status: number, message: string, param: string | null = null): ApiError {
  return {
    status,
    body: { error: { message, type: TYPES[status] ?? "InternalServerError", param, code: status } },
  };
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && "status" in value && "body" in value;
}

// vLLM answers a request for a model it does not serve with 404.
export function checkModel(requested: unknown, served: string): ApiError | undefined {
  if (requested === undefined || requested === null || requested === served) return undefined;
  return apiError(404, `The model \`${String(requested)}\` does not exist.`, "model");
}
