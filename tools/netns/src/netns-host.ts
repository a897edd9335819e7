import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { Subprocess } from "bun";
import { type CommandResult, run, tryRun } from "./command.ts";

/**
 * A test host: a network namespace this process made, with the processes it started inside.
 * `destroy()` stops them and deletes the namespace and its /etc/netns directory; await it from
 * a finally or afterAll so a failed test still cleans up.
 */
export class NetnsHost {
  readonly name: string;
  readonly #processes: Subprocess[] = [];
  #destroyed = false;

  static create(name: string): NetnsHost {
    run(["ip", "netns", "add", name]);
    const host = new NetnsHost(name);
    live.add(host);
    cleanUpOnExit();
    try {
      host.exec(["ip", "link", "set", "lo", "up"]);
    } catch (error) {
      void host.destroy(0);
      throw error;
    }
    return host;
  }

  private constructor(name: string) {
    this.name = name;
  }

  /** Runs a command inside the namespace; throws `CommandError` when it fails. */
  exec(command: readonly string[], stdin?: string): string {
    return run(["ip", "netns", "exec", this.name, ...command], stdin);
  }

  tryExec(command: readonly string[]): CommandResult {
    return tryRun(["ip", "netns", "exec", this.name, ...command]);
  }

  /** Starts a long-running process inside the namespace; `destroy()` kills it. */
  spawn(
    command: readonly string[],
    options: {
      env?: Record<string, string | undefined>;
      stdout?: "pipe" | "ignore" | "inherit";
      stderr?: "pipe" | "ignore" | "inherit";
    } = {},
  ): Subprocess<"ignore", "pipe" | "ignore" | "inherit", "pipe" | "ignore" | "inherit"> {
    const child = Bun.spawn(["ip", "netns", "exec", this.name, ...command], {
      stdin: "ignore",
      stdout: options.stdout ?? "pipe",
      stderr: options.stderr ?? "pipe",
      env: { ...process.env, ...options.env },
    });
    this.#processes.push(child);
    return child;
  }

  /** The namespace's own /etc/resolv.conf (ip netns exec bind-mounts /etc/netns/NAME/resolv.conf). */
  writeResolvConf(content: string): void {
    const dir = `/etc/netns/${this.name}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/resolv.conf`, content);
  }

  /** Sets a sysctl inside the namespace, e.g. `net.ipv4.ip_forward`. */
  sysctl(key: string, value: string): void {
    this.exec(["sysctl", "-q", "-w", `${key}=${value}`]);
  }

  /** Stops the processes (SIGTERM, then SIGKILL after `graceMs`) and deletes the namespace. */
  async destroy(graceMs = 1000): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const child of this.#processes) child.kill("SIGTERM");
    await Promise.race([
      Promise.all(this.#processes.map((child) => child.exited)),
      Bun.sleep(graceMs),
    ]);
    this.#removeNow();
  }

  /** Kills what still runs inside and deletes the namespace, synchronously. */
  #removeNow(): void {
    live.delete(this);
    for (const child of this.#processes) child.kill("SIGKILL");
    tryRun(["ip", "netns", "pids", this.name])
      .stdout.split("\n")
      .filter((pid) => /^\d+$/.test(pid))
      .forEach((pid) => {
        tryRun(["kill", "-9", pid]);
      });
    tryRun(["ip", "netns", "delete", this.name]);
    rmSync(`/etc/netns/${this.name}`, { recursive: true, force: true });
  }

  /** Removes every namespace this process made and has not destroyed yet. */
  static removeAllNow(): void {
    for (const host of [...live]) {
      host.#destroyed = true;
      host.#removeNow();
    }
  }
}

const live = new Set<NetnsHost>();
let exitHooksInstalled = false;

/**
 * A test process that is killed (a runner stopping its tasks, Ctrl-C) never reaches its
 * finally blocks: remove its namespaces on the way out, whatever ends it.
 */
function cleanUpOnExit(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", () => NetnsHost.removeAllNow());
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => {
      NetnsHost.removeAllNow();
      process.exit(code);
    });
  }
}

/** Joins two hosts with a veth pair, made inside the namespaces (never in the host's own). */
export function connect(a: NetnsHost, aInterface: string, b: NetnsHost, bInterface: string): void {
  run([
    "ip",
    "-n",
    a.name,
    "link",
    "add",
    aInterface,
    "type",
    "veth",
    "peer",
    "name",
    bInterface,
    "netns",
    b.name,
  ]);
  run(["ip", "-n", a.name, "link", "set", aInterface, "up"]);
  run(["ip", "-n", b.name, "link", "set", bInterface, "up"]);
}

/** Adds an address (CIDR); IPv6 addresses skip duplicate address detection so they work at once. */
export function addAddress(host: NetnsHost, iface: string, cidr: string): void {
  const v6 = cidr.includes(":");
  host.exec(["ip", v6 ? "-6" : "-4", "addr", "add", cidr, "dev", iface, ...(v6 ? ["nodad"] : [])]);
}
