import {
  isPatternError,
  MAX_UPSTREAMS,
  type NamePattern,
  parsePattern,
  type Upstream,
} from "@fz/dns-nat/names";
import type { FieldReader } from "./fields.ts";
import { parseHostPort } from "./host-port.ts";

const DNS_PORT = 53;

/** Reads a DNS resource's name pattern (`app.example.com`, `*.example.com`, `**.corp`). */
export function readNamePattern(
  read: FieldReader,
  table: Record<string, unknown>,
  key: string,
  field: string,
): NamePattern | undefined {
  const text = read.string(table, key, field, "*.example.com");
  if (text === undefined) return undefined;
  const pattern = parsePattern(text);
  if (!isPatternError(pattern)) return pattern;
  return read.problem(
    field,
    `'${text}' is not a name pattern: ${pattern.reason}`,
    'write a name such as "app.example.com", "*.example.com" or "**.example.com"',
  );
}

/**
 * Reads `upstream_dns`: addresses with an optional port (`198.19.0.53`, `198.19.0.53:5353`,
 * `fd00::53`, `[fd00::53]:53`), at most MAX_UPSTREAMS. Addresses come back in canonical text,
 * the form a socket reports a response's source in.
 */
export function readUpstreams(
  read: FieldReader,
  top: Record<string, unknown>,
  key: string,
): Upstream[] {
  if (top[key] === undefined) return [];
  const texts = read.stringList(top, key, key, "198.19.0.53");
  if (texts.length > MAX_UPSTREAMS) {
    read.problem(key, `lists ${texts.length} servers`, `list at most ${MAX_UPSTREAMS}`);
    return [];
  }
  return texts.flatMap((text, i): Upstream[] => {
    const upstream = parseHostPort(text.trim(), DNS_PORT);
    if (upstream !== undefined) return [upstream];
    read.problem(
      `${key}[${i}]`,
      `'${text}' is not an IP address with an optional port`,
      'write it as "198.19.0.53", "198.19.0.53:53", "fd00::53" or "[fd00::53]:53" (host names are not resolved)',
    );
    return [];
  });
}

/** Reads an optional `true` / `false`. */
export function readBoolean(
  read: FieldReader,
  table: Record<string, unknown>,
  key: string,
  field: string,
  fallback: boolean,
): boolean {
  const value = table[key];
  if (value === undefined) return fallback;
  if (typeof value === "boolean") return value;
  read.problem(
    field,
    `expected true or false, got ${JSON.stringify(value)}`,
    `write ${key} = ${fallback}`,
  );
  return fallback;
}
