import { describe, expect, test } from "bun:test";
import { readdirSync, readlinkSync } from "node:fs";
import { Logger, streamSink } from "@fz/log";
import { DataPlane, DataPlaneError } from "./data-plane.ts";

const START_TIMEOUT_MS = 10_000;
const NO_SUCH_CORE = new URL("./no-such-core.ts", import.meta.url).href;
const THROWING_CORE = new URL("./test-fixtures/throwing-core.ts", import.meta.url).href;

function startWith(module: string): Promise<DataPlane> {
  const logger = new Logger({ level: "TRACE", sinks: [streamSink(() => {}, "json")] });
  return DataPlane.start({
    core: { module, input: {}, aead: "noble" },
    tunFd: -1,
    udpFd: -1,
    dnsFd: -1,
    logger,
  });
}

/** This process's descriptors and what each one is (`pipe:[…]`, `/dev/null`, …). */
function openDescriptors(): string[] {
  return readdirSync("/proc/self/fd")
    .map((fd) => {
      try {
        return `${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`;
      } catch {
        return `${fd} (closed while listing)`;
      }
    })
    .filter((entry) => !entry.endsWith("(closed while listing)"))
    .sort();
}

async function startFailure(module: string): Promise<DataPlaneError> {
  const outcome = await startWith(module).then(
    async (plane) => {
      await plane.stop();
      return undefined;
    },
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(DataPlaneError);
  return outcome as DataPlaneError;
}

describe("DataPlane.start", () => {
  test(
    "rejects with DataPlaneError when the core module does not exist",
    async () => {
      const error = await startFailure(NO_SUCH_CORE);
      expect(error.message).toStartWith("the data plane did not start: ");
      expect(error.message).toContain("no-such-core.ts");
    },
    START_TIMEOUT_MS,
  );

  test(
    "rejects with DataPlaneError carrying the reason when createTunnelCore throws",
    async () => {
      const error = await startFailure(THROWING_CORE);
      expect(error.message).toStartWith("the data plane did not start: ");
      expect(error.message).toContain("bad core for test");
    },
    START_TIMEOUT_MS,
  );

  test(
    "a failed start has closed its wake pipe by the time it rejects",
    async () => {
      const pipes = () => openDescriptors().filter((entry) => entry.includes(" pipe:"));
      const before = pipes();
      for (const module of [NO_SUCH_CORE, THROWING_CORE]) {
        await startFailure(module);
        expect(pipes()).toEqual(before);
      }
    },
    START_TIMEOUT_MS,
  );

  test(
    // A Worker nobody terminated keeps its process alive, so a clean exit shows none is left.
    "leaves no Worker behind: a process whose starts failed exits by itself",
    async () => {
      const script = `
        import { Logger, streamSink } from ${JSON.stringify(new URL("../../log/src/index.ts", import.meta.url).href)};
        import { DataPlane } from ${JSON.stringify(new URL("./data-plane.ts", import.meta.url).href)};
        const logger = new Logger({ level: "TRACE", sinks: [streamSink(() => {}, "json")] });
        for (const module of ${JSON.stringify([NO_SUCH_CORE, THROWING_CORE])}) {
          const outcome = await DataPlane.start({
            core: { module, input: {}, aead: "noble" }, tunFd: -1, udpFd: -1, dnsFd: -1, logger,
          }).then(() => "started", (error) => error.name);
          console.log(outcome);
        }
      `;
      const child = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
      const killer = setTimeout(() => child.kill("SIGKILL"), 8000);
      const [exitCode, stdout, stderr] = await Promise.all([
        child.exited,
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      clearTimeout(killer);
      expect({ exitCode, signal: child.signalCode, stdout, stderr }).toEqual({
        exitCode: 0,
        signal: null,
        stdout: "DataPlaneError\nDataPlaneError\n",
        stderr: "",
      });
    },
    START_TIMEOUT_MS,
  );
});
