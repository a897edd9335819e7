import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  parseCidr,
  TunDevice,
  TunOpenError,
  TunPermissionError,
  TunUnavailableError,
} from "@fz/tun";
import { createNamespace, deleteNamespace } from "./netns.ts";

const isRoot = process.getuid?.() === 0;
const hasTun = existsSync("/dev/net/tun");

describe("TunDevice.open says what is missing", () => {
  test("no /dev/net/tun", () => {
    expect(() => TunDevice.open({ devicePath: "/nonexistent/net/tun" })).toThrow(
      TunUnavailableError,
    );
    expect(() => TunDevice.open({ devicePath: "/nonexistent/net/tun" })).toThrow(
      "/nonexistent/net/tun does not exist: load the tun module",
    );
  });

  test("bad settings name the field and the fix", () => {
    expect(() => TunDevice.open({ name: "a-name-that-is-too-long" })).toThrow(TunOpenError);
    expect(() => TunDevice.open({ addresses: ["100.64.0.1/33"] })).toThrow(
      "invalid addresses entry '100.64.0.1/33'",
    );
    expect(() => TunDevice.open({ routes: ["nonsense"] })).toThrow("invalid routes entry");
    expect(() => TunDevice.open({ mtu: 100 })).toThrow("invalid mtu 100");
  });

  test.skipIf(!isRoot || !hasTun)("without root: permission denied, and how to fix it", () => {
    const source = `import { TunDevice } from "@fz/tun";
try { TunDevice.open({ name: "fzperm0" }); console.log("opened"); } catch (e) { console.log(e.name + ": " + e.message); }`;
    const run = Bun.spawnSync(
      [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--inh-caps=-all",
        "bun",
        "-e",
        source,
      ],
      {
        cwd: import.meta.dir,
        env: { ...process.env, HOME: "/tmp", BUN_INSTALL_CACHE_DIR: "/tmp/fz-bun-cache" },
      },
    );
    const output = run.stdout.toString() + run.stderr.toString();
    expect(output).toContain("TunPermissionError");
    expect(output).toContain("run as root or grant CAP_NET_ADMIN");
    expect(TunPermissionError.name).toBe("TunPermissionError");
  });
});

describe("parseCidr", () => {
  test("reads v4 and v6 prefixes and host addresses", () => {
    expect(parseCidr("198.18.0.1/24")).toEqual({
      family: 4,
      address: "198.18.0.1",
      prefix: 24,
      text: "198.18.0.1/24",
    });
    expect(parseCidr("fd00::1")?.text).toBe("fd00::1/128");
    expect(parseCidr("fd00::1/129")).toBeUndefined();
    expect(parseCidr("1.2.3.4/x")).toBeUndefined();
    expect(parseCidr("1.2.3.4/24/1")).toBeUndefined();
    expect(parseCidr("01.2.3.4/8")).toBeUndefined();
    expect(parseCidr("fe80::1%eth0/64")).toBeUndefined();
  });
});

const NS = `fztun-${process.pid}`;
const run = (...command: string[]) => Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });

describe.skipIf(!isRoot || !hasTun)("a real TUN device in a network namespace", () => {
  beforeAll(() => createNamespace(NS));
  afterAll(() => deleteNamespace(NS));

  test("ping and ping -6 are answered through TunPacketIo, and closing removes the interface", async () => {
    const responder = Bun.spawn(
      [
        "ip",
        "netns",
        "exec",
        NS,
        "bun",
        join(import.meta.dir, "echo-responder.ts"),
        "fztun0",
        "198.18.99.1/24",
        "fd00:198:18:99::1/64",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      const reader = responder.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe("ready\n");

      const link = run("ip", "-n", NS, "-d", "link", "show", "fztun0").stdout.toString();
      expect(link).toContain("mtu 1280");
      expect(link).toContain("tun type tun");
      expect(link).toMatch(/state (UP|UNKNOWN)/);

      const ping4 = run(
        "ip",
        "netns",
        "exec",
        NS,
        "ping",
        "-c",
        "3",
        "-i",
        "0.2",
        "-W",
        "2",
        "198.18.99.2",
      );
      expect(ping4.stdout.toString()).toContain("3 received");
      const ping6 = run(
        "ip",
        "netns",
        "exec",
        NS,
        "ping",
        "-6",
        "-c",
        "3",
        "-i",
        "0.2",
        "-W",
        "2",
        "fd00:198:18:99::2",
      );
      expect(ping6.stdout.toString()).toContain("3 received");

      responder.kill("SIGTERM");
      expect(await responder.exited).toBe(0);
      let rest = "";
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        rest += new TextDecoder().decode(chunk.value);
      }
      const stats = JSON.parse(rest.trim());
      expect(stats.answered).toBe(6);
      expect(stats.written).toBe(6);
      expect(stats.read).toBeGreaterThanOrEqual(6);
      expect(
        stats.droppedNoSlot + stats.droppedChannelFull + stats.readErrors + stats.writeErrors,
      ).toBe(0);
      expect(run("ip", "-n", NS, "link", "show", "fztun0").exitCode).not.toBe(0);
    } finally {
      responder.kill("SIGKILL");
    }
  });
});
