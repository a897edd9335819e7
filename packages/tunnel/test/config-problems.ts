import { InvalidConfigError } from "@fz/tunnel";

/** Runs a config parse that must fail and returns its problems as `field: problem; fix` lines. */
export function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidConfigError) {
      return error.problems.map((p) => `${p.field}: ${p.problem}; ${p.fix}`);
    }
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}
