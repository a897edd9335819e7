/**
 * DNS resource name patterns, as Firezone matches them (connlib `dns/pattern.rs`):
 * - a plain name matches itself;
 * - `?` matches one character that is not a dot;
 * - `*` matches exactly one label, and `*.a.b` also matches `a.b` itself;
 * - `**` matches any number of labels, none included.
 * Matching ignores case and a trailing dot. When several patterns match a name, the most
 * specific wins: exact > `?` > `*` > `**`.
 */
export interface NamePattern {
  readonly text: string;
  readonly kind: PatternKind;
  matches(name: string): boolean;
  /** `matches` for a name already normalized and split at its dots. */
  matchesLabels(labels: readonly string[]): boolean;
}

/** Ordered from the most specific; the order is the precedence. */
export const PATTERN_KINDS = ["exact", "question", "star", "double-star"] as const;
export type PatternKind = (typeof PATTERN_KINDS)[number];

export type PatternError = {
  readonly kind: "invalid-pattern";
  readonly pattern: string;
  readonly reason: string;
};

const LABEL = /^(\*\*|\*|[a-z0-9_?-]+)$/;

export function parsePattern(text: string): NamePattern | PatternError {
  const normalized = normalizeName(text);
  const invalid = (reason: string): PatternError => ({
    kind: "invalid-pattern",
    pattern: text,
    reason,
  });
  if (normalized.length === 0) return invalid("it is empty");
  if (normalized.length > 253) return invalid("it is longer than 253 characters");
  const labels = normalized.split(".");
  for (const label of labels) {
    if (label.length === 0) return invalid("it has an empty label");
    if (label.length > 63) return invalid(`label '${label}' is longer than 63 characters`);
    if (!LABEL.test(label)) {
      return invalid(
        `label '${label}' may hold only letters, digits, '-', '_', '?', or be '*' or '**'`,
      );
    }
  }
  const kind: PatternKind = labels.includes("**")
    ? "double-star"
    : labels.includes("*")
      ? "star"
      : normalized.includes("?")
        ? "question"
        : "exact";
  const matchesLabels = compile(labels);
  return {
    text: normalized,
    kind,
    matches: (name) => matchesLabels(nameLabels(name)),
    matchesLabels,
  };
}

export function isPatternError(value: NamePattern | PatternError): value is PatternError {
  return "reason" in value;
}

/** Lower case, without a trailing dot. */
export function normalizeName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function nameLabels(name: string): string[] {
  return normalizeName(name).split(".");
}

/** Picks the most specific of the patterns that match `name`, or undefined when none does. */
export function mostSpecificMatch<T extends { readonly pattern: NamePattern }>(
  candidates: readonly T[],
  name: string,
): T | undefined {
  const labels = nameLabels(name);
  let best: T | undefined;
  let bestRank: number = PATTERN_KINDS.length;
  for (const candidate of candidates) {
    const rank = PATTERN_KINDS.indexOf(candidate.pattern.kind);
    if (rank < bestRank && candidate.pattern.matchesLabels(labels)) {
      best = candidate;
      bestRank = rank;
    }
  }
  return best;
}

type Matcher = (labels: readonly string[]) => boolean;

function compile(pattern: readonly string[]): Matcher {
  const match = (p: number, n: number, name: readonly string[]): boolean => {
    if (p === pattern.length) return n === name.length;
    const label = pattern[p] ?? "";
    if (label === "**") {
      for (let skip = n; skip <= name.length; skip++) if (match(p + 1, skip, name)) return true;
      return false;
    }
    if (label === "*") {
      // `*` is one label, except that a leading `*.` may also match nothing (`*.a.b` matches `a.b`).
      if (n < name.length && match(p + 1, n + 1, name)) return true;
      return p === 0 && n === 0 && pattern.length > 1 && match(p + 1, n, name);
    }
    const actual = name[n];
    return actual !== undefined && labelMatches(label, actual) && match(p + 1, n + 1, name);
  };
  return (name) => match(0, 0, name);
}

function labelMatches(pattern: string, label: string): boolean {
  if (pattern.length !== label.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== "?" && pattern[i] !== label[i]) return false;
  }
  return true;
}
