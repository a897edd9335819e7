import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createAppLogger,
  formatRfc3339Nanos,
  humanLine,
  jsonLine,
  Logger,
  type LogRecord,
  NanosecondClock,
  parseSeverity,
  REDACTED,
  streamSink,
} from "@fz/log";

const record = (fields: Record<string, unknown> = {}): LogRecord => ({
  time: "2026-11-21T23:58:01.123456789Z",
  severity: "INFO",
  message: "handshake complete",
  target: "wireguard",
  fields,
});

describe("timestamps", () => {
  test("RFC 3339 in UTC with nine fractional digits", () => {
    expect(formatRfc3339Nanos(1_711_995_947_237_661_392n)).toBe("2024-04-01T18:25:47.237661392Z");
    expect(formatRfc3339Nanos(5n)).toBe("1970-01-01T00:00:00.000000005Z");
  });

  test("the clock adds monotonic nanoseconds to the wall time it started at", () => {
    const clock = new NanosecondClock(1_711_995_947_000, 1_000n);
    expect(clock.now(1_000n)).toBe("2024-04-01T18:25:47.000000000Z");
    expect(clock.now(237_662_392n)).toBe("2024-04-01T18:25:47.237661392Z");
  });
});

describe("records", () => {
  test("a JSON line has time, severity and message first, then target and fields", () => {
    const line = jsonLine(record({ peer: "gw-1", bytes: 1280 }));
    expect(line.endsWith("\n")).toBe(true);
    expect(Object.keys(JSON.parse(line))).toEqual([
      "time",
      "severity",
      "message",
      "target",
      "peer",
      "bytes",
    ]);
  });

  test("secrets never reach a line, however deep", () => {
    const line = jsonLine(
      record({
        private_key: "cGFzc3dvcmQ=",
        config: { peers: [{ privateKey: "x", preshared_key: "y", public_key: "z" }] },
        raw: new Uint8Array(32),
        error: new Error("bad key", { cause: { secret: "s" } }),
      }),
    );
    expect(line).not.toContain("cGFzc3dvcmQ=");
    const parsed = JSON.parse(line);
    expect(parsed.private_key).toBe(REDACTED);
    expect(parsed.config.peers[0]).toEqual({
      privateKey: REDACTED,
      preshared_key: REDACTED,
      public_key: "z",
    });
    expect(parsed.raw).toBe("<32 bytes>");
    expect(parsed.error).toEqual({
      name: "Error",
      message: "bad key",
      cause: { secret: REDACTED },
    });
    expect(humanLine(record({ psk: "q" }), false)).toContain(`psk=${REDACTED}`);
  });

  test("a field named like a reserved key does not replace it", () => {
    expect(JSON.parse(jsonLine(record({ message: "spoof" }))).message).toBe("handshake complete");
  });

  test("the readable form is time, severity, target, message, fields", () => {
    expect(humanLine(record({ peer: "gw-1" }), false)).toBe(
      "2026-11-21T23:58:01.123456789Z INFO  wireguard: handshake complete peer=gw-1\n",
    );
  });

  test.skipIf(Bun.which("jq") === null)("the README's jq command reads the lines", () => {
    const lines =
      jsonLine(record()) + jsonLine({ ...record(), severity: "WARN", message: "second" });
    const run = Bun.spawnSync(["jq", "-r", '"\\(.time) \\(.severity) \\(.message)"'], {
      stdin: new TextEncoder().encode(lines),
    });
    expect(run.stdout.toString()).toBe(
      "2026-11-21T23:58:01.123456789Z INFO handshake complete\n2026-11-21T23:58:01.123456789Z WARN second\n",
    );
  });
});

describe("Logger", () => {
  test("drops records below its level and carries child fields", () => {
    const out: string[] = [];
    const logger = new Logger({
      level: "INFO",
      sinks: [streamSink((text) => out.push(text), "json")],
    });
    logger.debug("hidden");
    logger.child("tunnel", { peer: "gw-1" }).warn("slow", { rtt_ms: 12 });
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] ?? "")).toMatchObject({
      severity: "WARN",
      message: "slow",
      target: "tunnel",
      peer: "gw-1",
      rtt_ms: 12,
    });
    expect(parseSeverity("debug")).toBe("DEBUG");
    expect(parseSeverity("loud")).toBeUndefined();
  });

  test("an app logger writes JSON lines to its log directory and readable lines to a TTY", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-log-"));
    try {
      const tty: string[] = [];
      const { logger, logFile } = createAppLogger({
        role: "gateway",
        logDir: dir,
        stderr: { write: (text) => tty.push(text), isTTY: true },
        env: { FIREZONE_LOG: "debug", NO_COLOR: "1" },
      });
      logger.debug("listening", { port: 51820 });
      await logger.close();
      expect(readdirSync(dir)).toEqual([expect.stringMatching(/^firezone-gateway-.*\.log$/)]);
      const line = JSON.parse(readFileSync(logFile ?? "", "utf8").trim());
      expect(line).toMatchObject({
        severity: "DEBUG",
        message: "listening",
        role: "gateway",
        port: 51820,
      });
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(tty[0]).toMatch(/^\S+ DEBUG listening role=gateway port=51820\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without a TTY, stderr gets JSON lines", () => {
    const out: string[] = [];
    const { logger } = createAppLogger({
      role: "client",
      stderr: { write: (t) => out.push(t), isTTY: false },
      env: {},
    });
    logger.info("up");
    expect(JSON.parse(out[0] ?? "")).toMatchObject({
      severity: "INFO",
      message: "up",
      role: "client",
    });
  });
});
