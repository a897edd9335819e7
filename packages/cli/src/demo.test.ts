import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { BlockList } from "node:net";
import type { CliOutput } from "./cli.ts";
import { demo } from "./demo.ts";
import { checkMachine } from "./demo-preflight.ts";

const isRoot = process.getuid?.() === 0;
const TIMEOUT_MS = 40_000;

function collector(onOut: (stdout: string) => void = () => {}) {
  const sink = {
    stdout: "",
    stderr: "",
    out: (text: string) => {
      sink.stdout += text;
      onOut(sink.stdout);
    },
    err: (text: string) => {
      sink.stderr += text;
    },
  } satisfies CliOutput & { stdout: string; stderr: string };
  return sink;
}

function namespacesWith(prefix: string): string[] {
  return Bun.spawnSync(["ip", "netns", "list"])
    .stdout.toString()
    .split("\n")
    .filter((line) => line.startsWith(`${prefix}-`));
}

/** Live processes (not zombies) whose command line mentions `text`, or whose parent is us. */
function leftoverProcesses(text: string): string[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid)
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const [state, parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        const ours = Number(parent) === process.pid || cmdline.includes(text);
        return state !== "Z" && ours ? [`${pid} ${cmdline}`] : [];
      } catch {
        return []; // gone while we looked
      }
    });
}

const proxyIps = new BlockList();
proxyIps.addSubnet("100.96.0.0", 11, "ipv4");

describe("firezone demo: options", () => {
  test("--help prints the usage with --prefix and --keep and exits 0", async () => {
    const io = collector();
    expect(await demo(["--help"], io)).toBe(0);
    expect(io.stdout).toContain("Usage: sudo bunx firezone demo");
    expect(io.stdout).toContain("--prefix NAME");
    expect(io.stdout).toContain("--keep");
  });

  test("an unknown option or a prefix unfit for a namespace name exits 64, saying which", async () => {
    const unknown = collector();
    expect(await demo(["--fast"], unknown)).toBe(64);
    expect(unknown.stderr).toContain("firezone demo: Unknown option '--fast'");
    const badPrefix = collector();
    expect(await demo(["--prefix", "../x"], badPrefix)).toBe(64);
    expect(badPrefix.stderr).toContain("--prefix '../x'");
    expect(unknown.stdout + badPrefix.stdout).toBe("");
  });

  test("a machine without root, the TUN device or ip is told what is missing and how to fix it", () => {
    const preflight = checkMachine({
      uid: 1000,
      exists: () => false,
      have: (program) => program !== "ip" && program !== "dnsmasq",
    });
    const missing = preflight.required.filter((requirement) => !requirement.met);
    expect(missing.map((requirement) => requirement.fix)).toEqual([
      expect.stringContaining("sudo bunx firezone demo"),
      expect.stringContaining("modprobe tun"),
      expect.stringContaining("apt-get install iproute2"),
    ]);
    expect(preflight.dnsmasq.met).toBe(false);
    expect(preflight.dnsmasq.fix).toContain("apt-get install dnsmasq");
  });
});

describe.skipIf(!isRoot)("firezone demo in real namespaces", () => {
  test(
    "runs the tunnel end to end, reports every figure, and leaves nothing behind",
    async () => {
      const prefix = `fzd${process.pid}`;
      const hostResolvConf = readFileSync("/etc/resolv.conf");
      const io = collector();
      const status = await demo(["--prefix", prefix], io);
      const output = io.stdout;
      const failed = output.split("\n").filter((line) => line.includes("✗"));
      expect({ status, failed, stderr: io.stderr }).toEqual({ status: 0, failed: [], stderr: "" });

      expect(output).toMatch(/✓ ping 198\.19\.0\.2: [123]\/3 replies, average RTT [\d.]+ ms/);
      expect(output).toMatch(/✓ ping fd00:198:19::2: [123]\/3 replies, average RTT [\d.]+ ms/);
      expect(output).toMatch(
        /✓ GET http:\/\/198\.19\.0\.2:8080\/: \d+ bytes, "hello from the resource 198\.19\.0\.2, you came from 198\.19\.0\.1"/,
      );
      expect(output).toMatch(
        /✓ GET http:\/\/\[fd00:198:19::2\]:8080\/: \d+ bytes, "hello from the resource fd00:198:19::2, you came from fd00:198:19::1"/,
      );
      const proxyIp = /✓ app\.demo\.internal resolves to (\S+), a proxy IP/.exec(output)?.[1];
      expect(proxyIps.check(proxyIp ?? "", "ipv4")).toBe(true);
      expect(output).toMatch(/✓ GET http:\/\/app\.demo\.internal:8080\/: \d+ bytes, "hello from/);
      expect(output).toContain("✓ client stopped (exit 0)");
      expect(output).toContain("✓ gateway stopped (exit 0)");

      const workDir = /fresh keys, gateway\.toml and client\.toml in (\S+)/.exec(output)?.[1];
      expect(workDir).toStartWith(`/tmp/${prefix}-`);
      expect(existsSync(workDir ?? "/")).toBe(false);
      expect(namespacesWith(prefix)).toEqual([]);
      expect(existsSync(`/etc/netns/${prefix}-client`)).toBe(false);
      expect(leftoverProcesses(prefix)).toEqual([]);
      expect(readFileSync("/etc/resolv.conf").equals(hostResolvConf)).toBe(true);
    },
    TIMEOUT_MS,
  );

  test(
    "--keep leaves the real client and gateway running until SIGTERM, then cleans up",
    async () => {
      const prefix = `fzk${process.pid}`;
      const sigtermListeners = process.rawListeners("SIGTERM");
      let pids: number[] = [];
      const io = collector((stdout) => {
        const hint = /kill -USR1 (\d+) \(gateway\) or (\d+) \(client\)/.exec(stdout);
        if (hint === null || pids.length > 0 || !stdout.includes("Ctrl-C stops")) return;
        pids = [Number(hint[1]), Number(hint[2])];
        // While the demo waits, both pids are the firezone processes themselves.
        const commands = pids.map((pid) => readFileSync(`/proc/${pid}/cmdline`, "utf8"));
        expect(commands[0]).toContain("main.ts\0gateway\0--config");
        expect(commands[1]).toContain("main.ts\0client\0--config");
        expect(namespacesWith(prefix)).toHaveLength(3);
        process.kill(process.pid, "SIGTERM");
      });
      const status = await demo(["--prefix", prefix, "--keep"], io);
      expect({ status, stderr: io.stderr }).toEqual({ status: 0, stderr: "" });
      expect(pids).toHaveLength(2);
      expect(io.stdout).toContain(`sudo ip netns exec ${prefix}-client ping 198.19.0.2`);
      expect(io.stdout).toContain(`curl http://app.demo.internal:8080/`);
      expect(io.stdout).toContain("✓ client stopped (exit 0)");
      expect(namespacesWith(prefix)).toEqual([]);
      expect(pids.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
      expect(process.rawListeners("SIGTERM")).toEqual(sigtermListeners);
    },
    TIMEOUT_MS,
  );

  test("a namespace with the prefix already there: exit 1, and that namespace is left alone", async () => {
    const prefix = `fzx${process.pid}`;
    const taken = `${prefix}-gw`;
    Bun.spawnSync(["ip", "netns", "add", taken]);
    try {
      const io = collector();
      expect(await demo(["--prefix", prefix], io)).toBe(1);
      expect(io.stderr).toContain(`${taken} already exists`);
      expect(io.stderr).toContain("--prefix NAME");
      expect(io.stderr).toContain(`sudo ip netns delete ${taken}`);
      expect(namespacesWith(prefix).map((line) => line.split(" ")[0])).toEqual([taken]);
    } finally {
      Bun.spawnSync(["ip", "netns", "delete", taken]);
    }
  });
});
