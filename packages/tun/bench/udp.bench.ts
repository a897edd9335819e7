/**
 * UDP throughput of 1312-byte datagrams (a 1280-byte packet plus WireGuard's 32 bytes) between
 * two network namespaces joined by a veth pair, each side a `bun` process of its own
 * (udp-peer.ts under `ip netns exec`): Bun.udpSocket (sendMany batches, a copy into a pool slot
 * per received datagram) against UdpPacketIo (recvmmsg/sendmmsg on Workers, straight into and
 * out of slots), with and without UDP GSO, and crossed to tell the send side from the receive
 * side. CPU is counted twice: each process's own user+sys time, and the whole machine's busy
 * time from /proc/stat, which also holds the softirq work the kernel does outside both. Each case runs WARMUP_MS, then counts for DURATION_MS what the receiving application
 * actually got; the median of REPEATS runs by delivered rate is reported.
 */

import { join } from "node:path";
import { formatTable, median, writeBenchResults } from "@fz/bench";
import type { PeerImpl, PeerJob, PeerReport } from "./udp-protocol.ts";

const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 3000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const BATCH_SIZE = Number(process.env.BENCH_BATCH ?? 64);
const DATAGRAM_BYTES = 1312;
const SENDER_ADDRESS = "198.18.1.1";
const RECEIVER_ADDRESS = "198.18.1.2";
const SENDER_NS = `fztun-udpb-s-${process.pid}`;
const RECEIVER_NS = `fztun-udpb-r-${process.pid}`;

interface Case {
  readonly name: string;
  readonly sender: PeerImpl;
  readonly receiver: PeerImpl;
}

const ALL_CASES: readonly Case[] = [
  { name: "bun -> bun", sender: "bun", receiver: "bun" },
  { name: "ffi -> ffi", sender: "ffi", receiver: "ffi" },
  { name: "ffi-gso -> ffi", sender: "ffi-gso", receiver: "ffi" },
  { name: "bun -> ffi", sender: "bun", receiver: "ffi" },
  { name: "ffi -> bun", sender: "ffi", receiver: "bun" },
  { name: "ffi-gso -> bun", sender: "ffi-gso", receiver: "bun" },
  { name: "bun-gso -> ffi", sender: "bun-gso", receiver: "ffi" },
  { name: "bun-gso -> bun", sender: "bun-gso", receiver: "bun" },
];
const CASES = process.env.BENCH_CASES
  ? ALL_CASES.filter((c) => process.env.BENCH_CASES?.split(",").includes(c.name))
  : ALL_CASES;

type Mark = Extract<PeerReport, { kind: "mark" }>;

interface Run {
  readonly sentPps: number;
  readonly deliveredPps: number;
  readonly senderCpuCores: number;
  readonly receiverCpuCores: number;
  readonly senderCpuUsPerPacket: number;
  readonly receiverCpuUsPerPacket: number;
  readonly kernelDropsPerSecond: number;
  /** Busy cores of the whole machine (both processes, softirq, anything else running). */
  readonly machineCores: number;
  /** Datagrams per recvmmsg / sendmmsg call over the whole run, for the FFI sides. */
  readonly receivePerCall: number | undefined;
  readonly sendPerCall: number | undefined;
}

/** A udp-peer.ts process in a namespace, spoken to in lines of JSON. */
class Peer {
  readonly #process: ReturnType<typeof Bun.spawn<"pipe", "pipe", "inherit">>;
  readonly #lines: PeerReport[] = [];
  readonly #name: string;
  #waiting: (() => void) | undefined;
  #ended = false;

  constructor(namespace: string, job: PeerJob) {
    this.#name = `${job.impl} ${job.role === "send" ? "sender" : "receiver"}`;
    this.#process = Bun.spawn(
      [
        "ip",
        "netns",
        "exec",
        namespace,
        "bun",
        join(import.meta.dir, "udp-peer.ts"),
        JSON.stringify(job),
      ],
      { stdin: "pipe", stdout: "pipe", stderr: "inherit" },
    );
    void this.#read();
  }

  async next<K extends PeerReport["kind"]>(kind: K): Promise<Extract<PeerReport, { kind: K }>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const index = this.#lines.findIndex((line) => line.kind === kind);
      if (index >= 0) return this.#lines.splice(index, 1)[0] as Extract<PeerReport, { kind: K }>;
      if (this.#ended || Date.now() > deadline) {
        const exit = this.#ended ? `exited with ${await this.#process.exited}` : "timed out";
        throw new Error(`${this.#name} ${exit} before '${kind}'`);
      }
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
        setTimeout(resolve, 1000);
      });
    }
  }

  mark(): Promise<Mark> {
    this.#process.stdin.write("mark\n");
    this.#process.stdin.flush();
    return this.next("mark");
  }

  /** Stops the peer and returns its UdpPacketIo stats (empty for Bun.udpSocket). */
  async stop(): Promise<Record<string, number>> {
    this.#process.stdin.write("stop\n");
    this.#process.stdin.flush();
    const { stats } = await this.next("stopped");
    await this.#process.exited;
    return stats;
  }

  kill(): void {
    this.#process.kill("SIGKILL");
  }

  async #read(): Promise<void> {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.#process.stdout) {
      pending += decoder.decode(chunk);
      for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
        this.#lines.push(JSON.parse(pending.slice(0, end)) as PeerReport);
        pending = pending.slice(end + 1);
      }
      this.#waiting?.();
    }
    this.#ended = true;
    this.#waiting?.();
  }
}

function ip(...args: string[]): void {
  const run = Bun.spawnSync(["ip", ...args], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${run.stderr.toString()}`);
}

function setUpNamespaces(): void {
  ip("netns", "add", SENDER_NS);
  ip("netns", "add", RECEIVER_NS);
  ip(
    "-n",
    SENDER_NS,
    "link",
    "add",
    "veth-s",
    "type",
    "veth",
    "peer",
    "name",
    "veth-r",
    "netns",
    RECEIVER_NS,
  );
  for (const [namespace, device, address] of [
    [SENDER_NS, "veth-s", SENDER_ADDRESS],
    [RECEIVER_NS, "veth-r", RECEIVER_ADDRESS],
  ] as const) {
    ip("-n", namespace, "link", "set", "lo", "up");
    ip("-n", namespace, "addr", "add", `${address}/24`, "dev", device);
    ip("-n", namespace, "link", "set", device, "up");
  }
  // A new veth drops traffic until its queue is activated; one ping waits for that.
  Bun.spawnSync(["ip", "netns", "exec", SENDER_NS, "ping", "-c", "1", "-W", "3", RECEIVER_ADDRESS]);
}

function tearDownNamespaces(): void {
  Bun.spawnSync(["ip", "netns", "delete", SENDER_NS], { stderr: "pipe" });
  Bun.spawnSync(["ip", "netns", "delete", RECEIVER_NS], { stderr: "pipe" });
}

/** UDP datagrams the receiving kernel dropped for a full socket buffer, from /proc/net/snmp. */
function receiveBufferErrors(): number {
  const snmp = Bun.spawnSync(["ip", "netns", "exec", RECEIVER_NS, "cat", "/proc/net/snmp"])
    .stdout.toString()
    .split("\n")
    .filter((line) => line.startsWith("Udp: "));
  const names = (snmp[0] ?? "").split(/\s+/);
  const values = (snmp[1] ?? "").split(/\s+/);
  return Number(values[names.indexOf("RcvbufErrors")] ?? 0);
}

/** Busy and total time of all CPUs so far, in clock ticks, from the first line of /proc/stat. */
async function machineTicks(): Promise<{ busy: number; total: number }> {
  const fields = (await Bun.file("/proc/stat").text()).split("\n")[0]?.trim().split(/\s+/) ?? [];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.slice(1, 9).map(Number);
  const busy =
    (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}
const CPU_COUNT = navigator.hardwareConcurrency;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function runCase(benchCase: Case): Promise<Run> {
  const job = { target: RECEIVER_ADDRESS, datagramBytes: DATAGRAM_BYTES, batchSize: BATCH_SIZE };
  const receiver = new Peer(RECEIVER_NS, {
    ...job,
    role: "receive",
    impl: benchCase.receiver,
    bind: RECEIVER_ADDRESS,
    targetPort: 0,
  });
  let sender: Peer | undefined;
  try {
    const { port } = await receiver.next("ready");
    sender = new Peer(SENDER_NS, {
      ...job,
      role: "send",
      impl: benchCase.sender,
      bind: SENDER_ADDRESS,
      targetPort: port,
    });
    await sender.next("ready");
    await sleep(WARMUP_MS);
    const drops0 = receiveBufferErrors();
    const ticks0 = await machineTicks();
    const [sent0, got0] = await Promise.all([sender.mark(), receiver.mark()]);
    await sleep(DURATION_MS);
    const [sent1, got1] = await Promise.all([sender.mark(), receiver.mark()]);
    const ticks1 = await machineTicks();
    const drops1 = receiveBufferErrors();
    const senderStats = await sender.stop();
    const receiverStats = await receiver.stop();
    const perCall = (count: number | undefined, calls: number | undefined) =>
      count === undefined || calls === undefined ? undefined : count / Math.max(calls, 1);

    const seconds = (a: Mark, b: Mark) => (b.ns - a.ns) / 1e9;
    const cpuSeconds = (a: Mark, b: Mark) => (b.userUs + b.systemUs - a.userUs - a.systemUs) / 1e6;
    const sent = sent1.packets - sent0.packets;
    const delivered = got1.packets - got0.packets;
    return {
      sentPps: sent / seconds(sent0, sent1),
      deliveredPps: delivered / seconds(got0, got1),
      senderCpuCores: cpuSeconds(sent0, sent1) / seconds(sent0, sent1),
      receiverCpuCores: cpuSeconds(got0, got1) / seconds(got0, got1),
      senderCpuUsPerPacket: (cpuSeconds(sent0, sent1) * 1e6) / Math.max(sent, 1),
      receiverCpuUsPerPacket: (cpuSeconds(got0, got1) * 1e6) / Math.max(delivered, 1),
      kernelDropsPerSecond: (drops1 - drops0) / seconds(got0, got1),
      receivePerCall: perCall(receiverStats.received, receiverStats.receiveCalls),
      sendPerCall: perCall(senderStats.sent, senderStats.sendCalls),
      machineCores:
        (CPU_COUNT * (ticks1.busy - ticks0.busy)) / Math.max(ticks1.total - ticks0.total, 1),
    };
  } finally {
    sender?.kill();
    receiver.kill();
  }
}

const gbit = (pps: number) => (pps * DATAGRAM_BYTES * 8) / 1e9;

if (process.getuid?.() !== 0) {
  console.log("udp bench: needs root to make network namespaces; skipped");
  process.exit(0);
}

process.on("SIGINT", () => {
  tearDownNamespaces();
  process.exit(130);
});

const summaries: Record<string, string | number>[] = [];
const rows: Record<string, string | number>[] = [];
setUpNamespaces();
try {
  for (const benchCase of CASES) {
    const runs: Run[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) runs.push(await runCase(benchCase));
    const middle = median(runs.map((run) => run.deliveredPps));
    const run = runs.reduce((best, candidate) =>
      Math.abs(candidate.deliveredPps - middle) < Math.abs(best.deliveredPps - middle)
        ? candidate
        : best,
    );
    const cpuPerDelivered =
      ((run.senderCpuCores + run.receiverCpuCores) * 1e6) / Math.max(run.deliveredPps, 1);
    const machinePerDelivered = (run.machineCores * 1e6) / Math.max(run.deliveredPps, 1);
    summaries.push({
      case: benchCase.name,
      sent_pps: Math.round(run.sentPps),
      pps: Math.round(run.deliveredPps),
      gbit_per_s: gbit(run.deliveredPps),
      loss_pct: Math.max(0, 100 * (1 - run.deliveredPps / run.sentPps)),
      sender_cores: run.senderCpuCores,
      receiver_cores: run.receiverCpuCores,
      cpu_us_per_pkt: cpuPerDelivered,
      machine_cores: run.machineCores,
      machine_us_per_pkt: machinePerDelivered,
      kernel_drops_per_s: Math.round(run.kernelDropsPerSecond),
    });
    rows.push(
      {
        case: benchCase.name,
        impl: benchCase.sender,
        role: "send",
        pps: Math.round(run.sentPps),
        gbit_per_s: gbit(run.sentPps),
        cpu_cores: run.senderCpuCores,
        cpu_us_per_pkt: run.senderCpuUsPerPacket,
        pkts_per_call: run.sendPerCall ?? "",
      },
      {
        case: benchCase.name,
        impl: benchCase.receiver,
        role: "receive",
        pps: Math.round(run.deliveredPps),
        gbit_per_s: gbit(run.deliveredPps),
        cpu_cores: run.receiverCpuCores,
        cpu_us_per_pkt: run.receiverCpuUsPerPacket,
        pkts_per_call: run.receivePerCall ?? "",
      },
    );
    console.error(`done: ${benchCase.name}`);
  }
} finally {
  tearDownNamespaces();
}

const baseline = summaries.find((row) => row.case === "bun -> bun");
const ratios = summaries.map((row) => ({
  case: String(row.case),
  pps_over_bun: Number(row.pps) / Number(baseline?.pps ?? Number.NaN),
  cpu_per_pkt_over_bun: Number(row.cpu_us_per_pkt) / Number(baseline?.cpu_us_per_pkt ?? Number.NaN),
  machine_per_pkt_over_bun:
    Number(row.machine_us_per_pkt) / Number(baseline?.machine_us_per_pkt ?? Number.NaN),
}));
const perSide = (impl: PeerImpl, role: "send" | "receive"): number => {
  const values = rows
    .filter((row) => row.impl === impl && row.role === role)
    .map((row) => Number(row.cpu_us_per_pkt));
  return values.length === 0 ? Number.NaN : median(values);
};
const sides = (["send", "receive"] as const).flatMap((role) =>
  (role === "send" ? (["bun", "bun-gso", "ffi", "ffi-gso"] as const) : (["bun", "ffi"] as const))
    .filter((impl) => rows.some((row) => row.impl === impl && row.role === role))
    .map((impl) => ({
      role,
      impl,
      cpu_us_per_pkt: perSide(impl, role),
      over_bun: perSide(impl, role) / perSide("bun", role),
    })),
);

console.log(
  `udp: ${DATAGRAM_BYTES}-byte datagrams, veth between two namespaces, batches of ${BATCH_SIZE}, ` +
    `${WARMUP_MS} ms warm-up + ${DURATION_MS} ms, median of ${REPEATS}\n`,
);
console.log(
  formatTable(summaries, [
    "case",
    "sent_pps",
    "pps",
    "gbit_per_s",
    "loss_pct",
    "sender_cores",
    "receiver_cores",
    "cpu_us_per_pkt",
    "machine_cores",
    "machine_us_per_pkt",
    "kernel_drops_per_s",
  ]),
);
console.log("\nratios to bun -> bun (pps: higher is better; CPU per packet: lower is better)\n");
console.log(
  formatTable(
    ratios,
    ["case", "pps_over_bun", "cpu_per_pkt_over_bun", "machine_per_pkt_over_bun"],
    3,
  ),
);
console.log("\nCPU per datagram by side (process user+sys, median over the cases it appears in)\n");
console.log(formatTable(sides, ["role", "impl", "cpu_us_per_pkt", "over_bun"], 3));
console.log("\nper side and case (pkts_per_call: datagrams per recvmmsg/sendmmsg, FFI only)\n");
console.log(
  formatTable(rows, [
    "case",
    "role",
    "impl",
    "pps",
    "cpu_cores",
    "cpu_us_per_pkt",
    "pkts_per_call",
  ]),
);

const path = writeBenchResults("udp", {
  datagram_bytes: DATAGRAM_BYTES,
  batch_size: BATCH_SIZE,
  warmup_ms: WARMUP_MS,
  duration_ms: DURATION_MS,
  repeats: REPEATS,
  cases: summaries,
  rows,
  ratios,
  sides,
  notes:
    "pps is what the receiving application got; cpu is process.cpuUsage() (all threads) of each side; " +
    "machine is the busy time of all CPUs from /proc/stat over the same window. " +
    "veth delivers in the sender's softirq, so the receive path up to the socket queue is mostly " +
    "charged to the sender's system time. The two sides and other work share 2 cores.",
});
console.log(`\nwrote ${path}`);
