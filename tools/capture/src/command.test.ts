import { describe, expect, test } from "bun:test";
import { BackgroundProcess, CommandFailedError, inNamespace, run } from "@fz/capture";

describe("run", () => {
  test("returns the output of a successful command", async () => {
    expect(await run(["bash", "-c", "echo out; echo err >&2"])).toEqual({
      exitCode: 0,
      stdout: "out\n",
      stderr: "err\n",
    });
  });

  test("throws CommandFailedError with argv and stderr on an unexpected exit code", async () => {
    const failing = run(["bash", "-c", "echo nope >&2; exit 3"]);
    await expect(failing).rejects.toThrow(CommandFailedError);
    await expect(failing).rejects.toThrow(
      "command failed (exit 3): bash -c echo nope >&2; exit 3\nnope",
    );
    expect((await run(["bash", "-c", "exit 3"], { okExitCodes: [3] })).exitCode).toBe(3);
  });

  test("kills a command that outlives its timeout", async () => {
    await expect(run(["sleep", "5"], { timeoutMs: 100 })).rejects.toThrow("killed after 100 ms");
  });
});

describe("inNamespace", () => {
  test("wraps argv in ip netns exec", () => {
    expect(inNamespace("fzcap-1-client", ["ping", "-c", "1", "x"])).toEqual([
      "ip",
      "netns",
      "exec",
      "fzcap-1-client",
      "ping",
      "-c",
      "1",
      "x",
    ]);
  });
});

describe("BackgroundProcess", () => {
  test("resolves once the output matches, keeps collecting it, and stops with SIGTERM", async () => {
    const background = await BackgroundProcess.start(
      [
        "bash",
        "-c",
        "echo starting; echo ready >&2; trap 'echo bye; exit 0' TERM; while :; do sleep 0.05; done",
      ],
      /ready/,
    );
    expect(background.output).toContain("ready");
    await background.stop();
    expect(background.output).toContain("bye");
  });

  test("throws when the process exits or stays silent past the timeout", async () => {
    await expect(
      BackgroundProcess.start(["bash", "-c", "echo oops; exit 1"], /ready/),
    ).rejects.toThrow("it printed:\noops");
    await expect(BackgroundProcess.start(["sleep", "5"], /ready/, 200)).rejects.toThrow(
      "within 200 ms",
    );
  });
});
