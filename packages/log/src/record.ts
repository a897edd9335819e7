import { redact } from "./redact.ts";
import type { Severity } from "./severity.ts";

export type LogFields = Readonly<Record<string, unknown>>;

export interface LogRecord {
  readonly time: string;
  readonly severity: Severity;
  readonly message: string;
  readonly target: string | undefined;
  readonly fields: LogFields;
}

const RESERVED = new Set(["time", "severity", "message", "target"]);

/** One JSON object per line: time, severity, message, target, then the (redacted) fields. */
export function jsonLine(record: LogRecord): string {
  const out: Record<string, unknown> = {
    time: record.time,
    severity: record.severity,
    message: record.message,
  };
  if (record.target !== undefined) out.target = record.target;
  const fields = redact(record.fields) as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    out[RESERVED.has(key) ? `field.${key}` : key] = value;
  }
  return `${JSON.stringify(out)}\n`;
}

const COLORS: Record<Severity, string> = {
  TRACE: "\x1b[90m",
  DEBUG: "\x1b[36m",
  INFO: "\x1b[32m",
  WARN: "\x1b[33m",
  ERROR: "\x1b[31m",
};

/** The same record for a person at a terminal: `time SEVERITY target: message key=value`. */
export function humanLine(record: LogRecord, color: boolean): string {
  const severity = record.severity.padEnd(5);
  const level = color ? `${COLORS[record.severity]}${severity}\x1b[0m` : severity;
  const target = record.target === undefined ? "" : `${record.target}: `;
  const fields = Object.entries(redact(record.fields) as Record<string, unknown>)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${record.time} ${level} ${target}${record.message}${fields ? ` ${fields}` : ""}\n`;
}
