/** Runs commands (optionally inside a network namespace) and long-lived background processes. */
import type { Subprocess } from "bun";
import { CommandFailedError } from "./errors.ts";

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Exit codes that count as success; [0] unless given. */
  readonly okExitCodes?: readonly number[];
  readonly timeoutMs?: number;
}

/** Prefixes argv so it runs in the named network namespace. */
export function inNamespace(namespace: string, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", namespace, ...argv];
}

/** Runs a command to completion; throws CommandFailedError on a bad exit code or a timeout. */
export async function run(
  argv: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const proc = Bun.spawn([...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  if (timedOut) throw new CommandFailedError(argv, null, `killed after ${timeoutMs} ms\n${stderr}`);
  if (!(options.okExitCodes ?? [0]).includes(exitCode)) {
    throw new CommandFailedError(argv, exitCode, stderr || stdout);
  }
  return { exitCode, stdout, stderr };
}

/** A process left running in the background, with everything it printed so far. */
export class BackgroundProcess {
  static readonly #live = new Set<BackgroundProcess>();
  readonly argv: readonly string[];
  readonly #proc: Subprocess<"ignore", "pipe", "pipe">;
  #output = "";
  readonly #drained: Promise<unknown>;

  private constructor(argv: readonly string[]) {
    this.argv = argv;
    this.#proc = Bun.spawn([...argv], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    this.#drained = Promise.all([this.#drain(this.#proc.stdout), this.#drain(this.#proc.stderr)]);
    BackgroundProcess.#live.add(this);
    void this.#proc.exited.then(() => BackgroundProcess.#live.delete(this));
  }

  /** Sends SIGKILL to every background process still running, for a signal handler's cleanup. */
  static killAllStartedNow(): void {
    for (const background of BackgroundProcess.#live) background.#proc.kill("SIGKILL");
  }

  /** Starts argv and resolves once its output matches `ready`; throws if it exits or times out first. */
  static async start(
    argv: readonly string[],
    ready: RegExp,
    timeoutMs = 10_000,
  ): Promise<BackgroundProcess> {
    const background = new BackgroundProcess(argv);
    const deadline = Date.now() + timeoutMs;
    while (!ready.test(background.output)) {
      if (background.#proc.exitCode !== null || Date.now() > deadline) {
        await background.stop();
        throw new CommandFailedError(
          argv,
          background.#proc.exitCode,
          `did not print ${ready} within ${timeoutMs} ms; it printed:\n${background.output}`,
        );
      }
      await Bun.sleep(20);
    }
    return background;
  }

  get output(): string {
    return this.#output;
  }

  /** Sends SIGTERM, then SIGKILL after a grace period, and waits for the process to exit. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.#proc.exitCode === null && this.#proc.signalCode === null) {
      this.#proc.kill("SIGTERM");
      const exited = await Promise.race([
        this.#proc.exited.then(() => true),
        Bun.sleep(graceMs).then(() => false),
      ]);
      if (!exited) this.#proc.kill("SIGKILL");
    }
    await this.#proc.exited;
    await this.#drained;
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.#output += decoder.decode(chunk, { stream: true });
  }
}
