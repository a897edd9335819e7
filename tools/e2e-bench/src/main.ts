import { formatTable, writeBenchResults } from "@fz/bench";
import { Addresses, createTopology } from "@fz/netns";
import type { TunnelImpl } from "./impl.ts";
import { cpuSeconds, iperf, peakRssKb, pingAverage } from "./measure.ts";
import { oursImpl } from "./ours-impl.ts";
import { wireguardGoImpl } from "./wireguard-go-impl.ts";

/**
 * bench:e2e: for each tunnel, on fresh client | gateway | resource namespaces with MTU 1280,
 * iperf3 TCP up and down, ping RTT, and the peak RSS of the tunnel processes; ours against
 * wireguard-go side by side, as ratios.
 */
const SECONDS = Number(process.env.E2E_SECONDS ?? 10);
const PINGS = Number(process.env.E2E_PINGS ?? 50);
const IMPLS: readonly TunnelImpl[] = [oursImpl, wireguardGoImpl];

interface Row {
  impl: string;
  up_mbps: number;
  down_mbps: number;
  up_retransmits: number;
  down_retransmits: number;
  rtt_ms: number;
  max_rss_kb: number;
  /** CPU seconds both tunnel processes used during the two iperf3 runs. */
  cpu_s: number;
  /** Megabits carried (up and down) per CPU second of the tunnel processes. */
  mbit_per_cpu_s: number;
  client_rss_kb: number;
  gateway_rss_kb: number;
  [column: string]: string | number;
}

async function measure(impl: TunnelImpl): Promise<Row> {
  const topology = createTopology(`fze2e${process.pid}`);
  try {
    const tunnel = await impl.start(topology);
    topology.resource.spawn(["iperf3", "-s", "-B", Addresses.resource4], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await Bun.sleep(300);
    pingAverage(topology.client, Addresses.resource4, 3);
    const cpu = () =>
      (cpuSeconds(tunnel.clientPid) ?? Number.NaN) + (cpuSeconds(tunnel.gatewayPid) ?? Number.NaN);
    const cpuBefore = cpu();
    const up = iperf(topology.client, Addresses.resource4, SECONDS, false);
    const down = iperf(topology.client, Addresses.resource4, SECONDS, true);
    const cpuUsed = cpu() - cpuBefore;
    const rtt = pingAverage(topology.client, Addresses.resource4, PINGS);
    const clientRss = (await peakRssKb(tunnel.clientPid)) ?? Number.NaN;
    const gatewayRss = (await peakRssKb(tunnel.gatewayPid)) ?? Number.NaN;
    return {
      impl: impl.name,
      up_mbps: up.mbps,
      down_mbps: down.mbps,
      up_retransmits: up.retransmits,
      down_retransmits: down.retransmits,
      rtt_ms: rtt,
      max_rss_kb: Math.max(clientRss, gatewayRss),
      cpu_s: cpuUsed,
      mbit_per_cpu_s: ((up.mbps + down.mbps) * SECONDS) / cpuUsed,
      client_rss_kb: clientRss,
      gateway_rss_kb: gatewayRss,
    };
  } finally {
    await topology.destroy();
  }
}

const rows: Row[] = [];
for (const impl of IMPLS) rows.push(await measure(impl));

const baseline = rows.find((row) => row.impl === "wireguard-go");
const ours = rows.find((row) => row.impl === "ours");
const ratios =
  baseline !== undefined && ours !== undefined
    ? {
        up: ours.up_mbps / baseline.up_mbps,
        down: ours.down_mbps / baseline.down_mbps,
        rtt: ours.rtt_ms / baseline.rtt_ms,
        rss: ours.max_rss_kb / baseline.max_rss_kb,
        mbit_per_cpu: ours.mbit_per_cpu_s / baseline.mbit_per_cpu_s,
      }
    : undefined;

console.log(`e2e: iperf3 TCP ${SECONDS} s each way, ${PINGS} pings, MTU 1280\n`);
console.log(
  formatTable(rows, [
    "impl",
    "up_mbps",
    "down_mbps",
    "up_retransmits",
    "down_retransmits",
    "rtt_ms",
    "max_rss_kb",
    "cpu_s",
    "mbit_per_cpu_s",
  ]),
);
if (ratios !== undefined) {
  console.log("\nours / wireguard-go\n");
  console.log(formatTable([ratios], ["up", "down", "rtt", "rss", "mbit_per_cpu"], 3));
}
console.log(
  `\nwrote ${writeBenchResults("e2e", { seconds: SECONDS, pings: PINGS, rows, ratios })}`,
);
