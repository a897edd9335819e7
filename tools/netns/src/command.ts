/** A command that failed, with what it printed. */
export class CommandError extends Error {
  readonly _tag = "CommandError";
  readonly exitCode: number;
  readonly output: string;

  constructor(command: readonly string[], exitCode: number, output: string) {
    super(`'${command.join(" ")}' exited with ${exitCode}: ${output.trim() || "no output"}`);
    this.name = "CommandError";
    this.exitCode = exitCode;
    this.output = output;
  }
}

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion; never throws for a non-zero exit. */
export function tryRun(command: readonly string[], stdin?: string): CommandResult {
  const result = Bun.spawnSync([...command], {
    stdout: "pipe",
    stderr: "pipe",
    ...(stdin === undefined ? {} : { stdin: new TextEncoder().encode(stdin) }),
  });
  return {
    exitCode: result.exitCode,
    stdout: result.stdout.toString(),
    stderr: result.stderr.toString(),
  };
}

/** Runs a command and returns its stdout; throws `CommandError` when it fails. */
export function run(command: readonly string[], stdin?: string): string {
  const result = tryRun(command, stdin);
  if (result.exitCode !== 0) {
    throw new CommandError(command, result.exitCode, result.stderr + result.stdout);
  }
  return result.stdout;
}

/** Whether a program is on the PATH. */
export function have(program: string): boolean {
  return Bun.which(program) !== null;
}
