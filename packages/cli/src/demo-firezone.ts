import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { NetnsHost } from "@fz/netns";
import type { CheckResult } from "./demo-checks.ts";
import { Interrupted, type StopSignal } from "./demo-signals.ts";

/** This CLI's entry point, run again as `firezone client` and `firezone gateway`. */
const FIREZONE_MAIN = join(import.meta.dir, "main.ts");
const START_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 2_000;

/** A `firezone client` or `firezone gateway` running in a namespace of the demo. */
export interface FirezoneChild {
  readonly role: "client" | "gateway";
  /** The firezone process itself: `ip netns exec` and the JSC re-exec keep the pid. */
  readonly pid: number;
  /** The `<role> started` log record. */
  readonly started: LogRecord;
  /** SIGTERM, then SIGKILL after a grace period; passes when it exits 0 by itself. */
  stop(): Promise<CheckResult>;
}

/**
 * Runs `firezone <role> --config <file>` inside `host` and resolves once its JSON log in
 * `logDir` says `<role> started`; throws with the end of its stderr if it exits or takes too
 * long, and `Interrupted` once `stopSignal()` tells of a Ctrl-C or the like.
 */
export async function startFirezone(
  host: NetnsHost,
  role: "client" | "gateway",
  configPath: string,
  logDir: string,
  stopSignal: () => StopSignal | undefined,
): Promise<FirezoneChild> {
  // A session of its own: a Ctrl-C in the terminal reaches the demo only, which then stops the
  // client before the gateway, each once. setsid(1) execs in place here (the child leads no
  // process group), so the pid stays the firezone process's.
  const command = [process.execPath, FIREZONE_MAIN, role, "--config", configPath];
  const child = host.spawn(["setsid", ...command], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const stderr = drainTail(child.stderr);
  const deadline = Date.now() + START_TIMEOUT_MS;
  let started = startedRecord(logDir, role);
  while (started === undefined) {
    const signal = stopSignal();
    if (signal !== undefined) {
      child.kill("SIGKILL");
      throw new Interrupted(signal);
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      const why = child.exitCode === null ? "did not start in time" : `exited ${child.exitCode}`;
      throw new Error(`firezone ${role} ${why}: ${stderr().trim() || "no output"}`);
    }
    await Bun.sleep(50);
    started = startedRecord(logDir, role);
  }
  return {
    role,
    pid: child.pid,
    started,
    async stop() {
      if (child.exitCode !== null) {
        return { ok: false, line: `${role} had exited by itself (${child.exitCode})` };
      }
      child.kill("SIGTERM");
      const ended = await Promise.race([child.exited, Bun.sleep(STOP_GRACE_MS)]);
      if (typeof ended === "number")
        return { ok: ended === 0, line: `${role} stopped (exit ${ended})` };
      child.kill("SIGKILL");
      await child.exited;
      return {
        ok: false,
        line: `${role} killed: still running ${STOP_GRACE_MS / 1000} s after SIGTERM`,
      };
    },
  };
}

/** The last warnings and errors the client and gateway logged, as `role SEVERITY message`. */
export function loggedProblems(logDir: string, limit = 8): string[] {
  return logRecords(logDir, "*")
    .filter((record) => record.severity === "WARN" || record.severity === "ERROR")
    .map((record) => {
      const error = record.error === undefined ? "" : `: ${JSON.stringify(record.error)}`;
      return `${String(record.role)} ${String(record.severity)} ${String(record.message)}${error}`;
    })
    .slice(-limit);
}

function startedRecord(logDir: string, role: string): LogRecord | undefined {
  return logRecords(logDir, role).find((record) => record.message === `${role} started`);
}

type LogRecord = Readonly<Record<string, unknown>>;

/** The JSON records of `firezone-<role>-*.log`; a line still being written is left for later. */
function logRecords(logDir: string, role: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const name of new Bun.Glob(`firezone-${role}-*.log`).scanSync(logDir)) {
    for (const line of readFileSync(join(logDir, name), "utf8").split("\n")) {
      try {
        const record: unknown = JSON.parse(line);
        if (typeof record === "object" && record !== null) records.push(record as LogRecord);
      } catch {}
    }
  }
  return records;
}

/**
 * Reads a child's stderr as it comes, keeping the end: a pipe nobody reads fills up and then
 * blocks the child's next write (a long `--keep` run logs JSON there).
 */
function drainTail(stream: ReadableStream<Uint8Array> | number | undefined): () => string {
  let tail = "";
  if (stream instanceof ReadableStream) {
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        tail = (tail + decoder.decode(chunk, { stream: true })).slice(-STDERR_TAIL_CHARS);
      }
    })();
  }
  return () => tail;
}
