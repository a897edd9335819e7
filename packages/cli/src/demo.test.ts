import { describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { BlockList } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsHost } from "@fz/netns";
import type { CliOutput } from "./cli.ts";
import { demo } from "./demo.ts";
import { giveOwnResolvConf, namespaceNames, seesResolvConf } from "./demo-network.ts";
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

/** The session a process belongs to (/proc/PID/stat: state, parent, group, session). */
function sessionOf(pid: number | "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

/** The processes in `namespace`, each as its command line and its session. */
function processesIn(namespace: string): { command: string; session: number }[] {
  return Bun.spawnSync(["ip", "netns", "pids", namespace])
    .stdout.toString()
    .split("\n")
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
        return [{ command, session: sessionOf(Number(pid)) }];
      } catch {
        return []; // gone while we looked
      }
    });
}

/** What a demo run with `prefix` could leave on the machine. */
function leftBehind(prefix: string) {
  const named = (dir: string) =>
    existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(`${prefix}-`)) : [];
  return {
    namespaces: namespacesWith(prefix),
    netnsDirs: named("/etc/netns"),
    workDirs: named(tmpdir()),
    processes: leftoverProcesses(prefix),
  };
}

/** For a finally: whatever a failed run left, gone. */
function removeLeftovers(prefix: string): void {
  for (const name of namespaceNames(prefix)) {
    Bun.spawnSync(["ip", "netns", "delete", name]);
    rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
  for (const dir of leftBehind(prefix).workDirs) {
    rmSync(join(tmpdir(), dir), { recursive: true, force: true });
  }
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
      let inNamespaces: { command: string; session: number }[] = [];
      const io = collector((stdout) => {
        const hint = /kill -USR1 (\d+) \(gateway\) or (\d+) \(client\)/.exec(stdout);
        if (hint === null || pids.length > 0 || !stdout.includes("Ctrl-C stops")) return;
        pids = [Number(hint[1]), Number(hint[2])];
        inNamespaces = namespaceNames(prefix).flatMap(processesIn);
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
      // Firezone, the HTTP server and dnsmasq each in a session of their own: a terminal's
      // Ctrl-C reaches the demo only.
      expect(inNamespaces.map((process) => process.command)).toEqual(
        expect.arrayContaining([
          expect.stringContaining("main.ts gateway"),
          expect.stringContaining("main.ts client"),
          expect.stringContaining("hello from the resource"),
        ]),
      );
      const ourSession = sessionOf("self");
      expect(inNamespaces.filter((process) => process.session === ourSession)).toEqual([]);
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

  test(
    "dnsmasq failing to start: exit 1 with a ✗ naming it, and nothing left behind",
    async () => {
      const prefix = `fzf${process.pid}`;
      const fakeBin = mkdtempSync(join(tmpdir(), `fzbin${process.pid}-`));
      writeFileSync(
        join(fakeBin, "dnsmasq"),
        "#!/bin/sh\necho 'fake dnsmasq: address in use' >&2\nexit 3\n",
        { mode: 0o755 },
      );
      const path = process.env.PATH;
      process.env.PATH = `${fakeBin}:${path}`;
      try {
        const io = collector();
        const status = await demo(["--prefix", prefix], io);
        const failed = io.stdout.split("\n").filter((line) => line.includes("✗"));
        expect({ status, failed }).toEqual({
          status: 1,
          failed: ["  ✗ dnsmasq did not start: fake dnsmasq: address in use"],
        });
        expect(leftBehind(prefix)).toEqual({
          namespaces: [],
          netnsDirs: [],
          workDirs: [],
          processes: [],
        });
      } finally {
        process.env.PATH = path;
        rmSync(fakeBin, { recursive: true, force: true });
        removeLeftovers(prefix);
      }
    },
    TIMEOUT_MS,
  );

  test.each([
    ["while the gateway starts", "fzs", "Starting Firezone"],
    ["while the first ping runs", "fzp", "Through the tunnel"],
  ])(
    "SIGINT %s: the step in progress reports nothing, 'interrupted by SIGINT', exit 130, nothing left behind",
    async (_when, letters, heading) => {
      const prefix = `${letters}${process.pid}`;
      let sent = false;
      const io = collector((stdout) => {
        if (sent || !stdout.includes(`\n${heading}`)) return;
        sent = true;
        process.kill(process.pid, "SIGINT");
      });
      try {
        const status = await demo(["--prefix", prefix], io);
        const output = io.stdout;
        expect({ status, sent, stderr: io.stderr }).toEqual({
          status: 130,
          sent: true,
          stderr: "",
        });
        const interrupted = output.slice(output.indexOf(`\n${heading}`));
        expect(interrupted).toMatch(/^\n[^\n]+\n {2}- interrupted by SIGINT\n\nCleaning up\n/);
        expect(output.split("\n").filter((line) => line.includes("✗"))).toEqual([]);
        expect(output).toContain("\nInterrupted by SIGINT: 0 of the ");
        expect(leftBehind(prefix)).toEqual({
          namespaces: [],
          netnsDirs: [],
          workDirs: [],
          processes: [],
        });
      } finally {
        removeLeftovers(prefix);
      }
    },
    TIMEOUT_MS,
  );

  test("the client namespace's resolv.conf counts as its own only where ip netns exec mounts it", async () => {
    const host = NetnsHost.create(`fzr${process.pid}`);
    const ownFile = `/etc/netns/${host.name}/resolv.conf`;
    try {
      expect(giveOwnResolvConf(host)).toBe(true);
      const marker = readFileSync(ownFile, "utf8").trim();
      expect(seesResolvConf(host, marker)).toBe(true);
      // A directory in the file's place: the bind mount fails, and ip netns exec runs the
      // command anyway, which then sees the machine's own /etc/resolv.conf.
      rmSync(ownFile);
      mkdirSync(ownFile);
      expect(seesResolvConf(host, marker)).toBe(false);
    } finally {
      await host.destroy(0);
    }
  });
});
