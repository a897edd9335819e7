import type { CliOutput } from "./cli.ts";
import type { CheckResult } from "./demo-checks.ts";

/** The demo's printed steps: a heading per stage, a ✓ or ✗ per line, and the tally. */
export class DemoReport {
  readonly #io: CliOutput;
  #passed = 0;
  #failed = 0;

  constructor(io: CliOutput) {
    this.#io = io;
  }

  get failed(): number {
    return this.#failed;
  }

  heading(title: string): void {
    this.#io.out(`\n${title}\n`);
  }

  /** A line that is neither a pass nor a failure. */
  note(line: string): void {
    this.#io.out(`  - ${line}\n`);
  }

  check(result: CheckResult): boolean {
    if (result.ok) this.#passed++;
    else this.#failed++;
    const line = result.line.replaceAll("\n", "\n    ");
    this.#io.out(`  ${result.ok ? "✓" : "✗"} ${line}\n`);
    return result.ok;
  }

  pass(line: string): void {
    this.check({ ok: true, line });
  }

  fail(line: string): void {
    this.check({ ok: false, line });
  }

  /** The tally; after an interruption, of the checks that ran before it. */
  summary(interruptedBy?: string): void {
    const total = this.#passed + this.#failed;
    if (interruptedBy !== undefined) {
      this.#io.out(
        `\nInterrupted by ${interruptedBy}: ${this.#failed} of the ${total} checks that ran failed.\n`,
      );
    } else {
      this.#io.out(
        this.#failed === 0
          ? `\nAll ${total} checks passed.\n`
          : `\n${this.#failed} of ${total} checks failed.\n`,
      );
    }
  }
}
