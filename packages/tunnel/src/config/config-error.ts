/** One thing wrong with a configuration: where, what, and how to fix it. */
export interface ConfigProblem {
  /** Where in the file, e.g. `gateways[0].public_key`. */
  readonly field: string;
  readonly problem: string;
  readonly fix: string;
}

/** A configuration that cannot be used; the message lists every problem with its fix. */
export class InvalidConfigError extends Error {
  readonly _tag = "InvalidConfigError";
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], source = "the configuration") {
    super(
      `${source} has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:\n${problems
        .map((p) => `  ${p.field}: ${p.problem}; ${p.fix}`)
        .join("\n")}`,
    );
    this.name = "InvalidConfigError";
    this.problems = problems;
  }
}
