// Client input quoted back in an error message: escaped (control characters, quotes and
// newlines cannot forge log lines or break a status trailer) and cut to a bounded length, so a
// 300 KB field never becomes a 300 KB gRPC status header that resets the client's HTTP/2
// session.

export const ECHO_MAX_CHARS = 200;

export function echo(value: string, maxChars = ECHO_MAX_CHARS): string {
  const chars = Array.from(value);
  if (chars.length <= maxChars) return JSON.stringify(value);
  const kept = chars.slice(0, maxChars).join("");
  return `${JSON.stringify(kept)}… (${chars.length} characters)`;
}
