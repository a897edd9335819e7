const SECRET_KEY = /private|secret|preshared|psk|password|token/i;
export const REDACTED = "<redacted>";

/**
 * Copies log fields with every value under a secret-sounding key replaced, at any depth, so
 * a private key passed by mistake never reaches a log. Errors become their message and cause.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "<too deep>";
  if (value instanceof Error) {
    return {
      name: value.name,
      message: value.message,
      ...(value.cause === undefined ? {} : { cause: redact(value.cause, depth + 1) }),
    };
  }
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? REDACTED : redact(inner, depth + 1);
    }
    return out;
  }
  return value;
}
