/**
 * Network namespaces for the UDP tests: made with ip(8), entered by the test process itself
 * with setns(2) just long enough to open sockets there (a socket stays in the namespace it was
 * made in), so the test's assertions run in-process on real sockets.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const CLONE_NEWNET = 0x40000000;
const O_RDONLY_CLOEXEC = 0o2000000;

const { symbols: libc } = dlopen("libc.so.6", {
  open: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  setns: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
});

export const isRoot = process.getuid?.() === 0;

export function run(...command: string[]): { exitCode: number; output: string } {
  const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
  return {
    exitCode: result.exitCode,
    output: result.stdout.toString() + result.stderr.toString(),
  };
}

/** Runs `ip` with the arguments and throws with its output when it fails. */
export function ip(...args: string[]): void {
  const result = run("ip", ...args);
  if (result.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${result.output}`);
}

/** The addresses of the two ends of `createVethPair`. */
export const PAIR = {
  a4: "198.18.0.1",
  b4: "198.18.0.2",
  a6: "fd00:198:18::1",
  b6: "fd00:198:18::2",
} as const;

/**
 * Makes namespaces `a` and `b` joined by a veth pair with `PAIR`'s addresses (/24 and /64), up
 * and ready: a new veth drops what it is given until the kernel activates its queue (up to a
 * second later), so one ping per family waits for that and fills the neighbour tables.
 */
export function createVethPair(a: string, b: string): void {
  createNamespace(a);
  createNamespace(b);
  ip("-n", a, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", b);
  for (const [namespace, device, v4, v6] of [
    [a, "veth-a", PAIR.a4, PAIR.a6],
    [b, "veth-b", PAIR.b4, PAIR.b6],
  ] as const) {
    ip("-n", namespace, "link", "set", "lo", "up");
    ip("-n", namespace, "addr", "add", `${v4}/24`, "dev", device);
    ip("-n", namespace, "addr", "add", `${v6}/64`, "dev", device, "nodad");
    ip("-n", namespace, "link", "set", device, "up");
  }
  for (const peer of [PAIR.b4, PAIR.b6]) {
    run("ip", "netns", "exec", a, "ping", "-c", "1", "-W", "3", peer);
  }
}

/** Deletes the namespaces `createVethPair` made (the veth goes with them). */
export function deleteVethPair(a: string, b: string): void {
  deleteNamespace(a);
  deleteNamespace(b);
}

/** Makes a namespace with its loopback up; it is deleted on exit even if the test is killed. */
export function createNamespace(name: string): void {
  made.add(name);
  removeOnExit();
  ip("netns", "add", name);
  ip("-n", name, "link", "set", "lo", "up");
}

export function deleteNamespace(name: string): void {
  run("ip", "netns", "delete", name);
  made.delete(name);
}

const made = new Set<string>();
let hooked = false;

/**
 * A test process that is killed (a runner stopping its tasks, Ctrl-C) never reaches afterAll:
 * delete its namespaces on the way out, and what still runs in them.
 */
function removeOnExit(): void {
  if (hooked) return;
  hooked = true;
  const removeAll = () => {
    for (const name of made) {
      const pids = run("ip", "netns", "pids", name)
        .output.split("\n")
        .filter((pid) => /^\d+$/.test(pid));
      for (const pid of pids) run("kill", "-9", pid);
      run("ip", "netns", "delete", name);
    }
    made.clear();
  };
  process.on("exit", removeAll);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => {
      removeAll();
      process.exit(code);
    });
  }
}

/** Calls `body` with this thread inside the named namespace, and comes back after. */
export function insideNamespace<T>(name: string, body: () => T): T {
  const home = openPath("/proc/thread-self/ns/net");
  const target = openPath(`/run/netns/${name}`);
  try {
    if (libc.setns(target, CLONE_NEWNET) !== 0) throw new Error(`setns into ${name} failed`);
    return body();
  } finally {
    // Going back to a namespace this thread was in does not fail; if it ever did, every later
    // socket of the run would land in the wrong namespace, so stop rather than go on.
    if (libc.setns(home, CLONE_NEWNET) !== 0) process.abort();
    libc.close(target);
    libc.close(home);
  }
}

function openPath(path: string): number {
  const fd = libc.open(ptr(Buffer.from(`${path}\0`)), O_RDONLY_CLOEXEC);
  if (fd < 0) throw new Error(`cannot open ${path}`);
  return fd;
}
