export const SEVERITIES = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Reads a level such as `info` or `DEBUG`; undefined when it is not one. */
export function parseSeverity(text: string): Severity | undefined {
  const upper = text.trim().toUpperCase();
  return SEVERITIES.find((severity) => severity === upper);
}
