import { formatTable, writeBenchResults } from "@fz/bench";
import {
  createDnsTopology,
  EXAMPLE_DNS_CLIENT_CONFIG,
  EXAMPLE_DNS_GATEWAY_CONFIG,
  type FirezoneProcess,
  removeLogs,
  startFirezone,
} from "@fz/e2e";
import { Addresses } from "@fz/netns";
import { parseIperfJson } from "./measure.ts";

/**
 * bench:dns-nat: iperf3 through a DNS resource for 10 s, (a) with no queries and (b) with a
 * query for the same name every 100 ms, which re-creates the resource's NAT with the gateway
 * each time (Firezone #8935): throughput, TCP retransmits, and the packets the client's NAT
 * buffered or dropped during the measured run.
 */
const SECONDS = Number(process.env.E2E_SECONDS ?? 10);
/** Rounds of the two cases, alternated: one 10 s iperf3 run swings by several percent. */
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const QUERY_INTERVAL_S = 0.1;
/** Asks the first sentinel for app.internal's A record every interval, reading each answer. */
const QUERIER = `
import socket, struct, sys, time
interval = float(sys.argv[1])
query = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + b"\\x03app\\x08internal\\x00" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
while True:
    s.sendto(query, ("100.100.111.1", 53))
    try:
        s.recv(512)
    except OSError:
        pass
    time.sleep(interval)
`;

interface Row {
  case: string;
  mbps: number;
  retransmits: number;
  buffered: number;
  dropped: number;
  queries: number;
  [column: string]: string | number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

interface NatCounters {
  buffered: number;
  dropped: number;
  queries: number;
}

async function counters(client: FirezoneProcess): Promise<NatCounters> {
  const before = client.records().filter((record) => record.message === "client stats").length;
  client.process.kill("SIGUSR1");
  for (let attempt = 0; attempt < 100; attempt++) {
    const stats = client.records().filter((record) => record.message === "client stats");
    const latest = stats.at(-1);
    if (stats.length > before && latest !== undefined) {
      const tunnel = latest.tunnel as {
        dnsNatBuffered: number;
        dnsNatDropped: number;
        dns: { answeredLocally?: number };
      };
      return {
        buffered: tunnel.dnsNatBuffered,
        dropped: tunnel.dnsNatDropped,
        queries: Number(tunnel.dns.answeredLocally ?? 0),
      };
    }
    await Bun.sleep(50);
  }
  throw new Error("the client did not log its stats on SIGUSR1");
}

async function measure(name: string, withQueries: boolean): Promise<Row> {
  const dns = createDnsTopology(`fzdn${process.pid % 100000}`);
  const t = dns.topology;
  const processes: FirezoneProcess[] = [];
  try {
    processes.push(await startFirezone(t.gateway, "gateway", EXAMPLE_DNS_GATEWAY_CONFIG));
    const client = await startFirezone(t.client, "client", EXAMPLE_DNS_CLIENT_CONFIG);
    processes.push(client);
    t.resource.spawn(["iperf3", "-s", "-B", Addresses.resource4], {
      stdout: "ignore",
      stderr: "ignore",
    });
    // Set the NAT up (the first packets wait for it), then measure from a confirmed state.
    for (let attempt = 0; attempt < 20; attempt++) {
      if (t.client.tryExec(["ping", "-c", "1", "-W", "1", "app.internal"]).exitCode === 0) break;
      await Bun.sleep(200);
    }
    const before = await counters(client);
    // A small resident querier: spawning dig ten times a second would itself cost CPU that
    // the two cores' iperf3 then lacks, and measure process start-up instead of the NAT.
    const querier = withQueries
      ? t.client.spawn(["python3", "-c", QUERIER, String(QUERY_INTERVAL_S)], {
          stdout: "ignore",
          stderr: "ignore",
        })
      : undefined;
    const run = t.client.tryExec([
      "iperf3",
      "-c",
      "app.internal",
      "-4",
      "-t",
      String(SECONDS),
      "-J",
    ]);
    querier?.kill("SIGKILL");
    const after = await counters(client);
    const result = parseIperfJson(run.stdout || run.stderr);
    return {
      case: name,
      mbps: result.mbps,
      retransmits: result.retransmits,
      buffered: after.buffered - before.buffered,
      dropped: after.dropped - before.dropped,
      queries: after.queries - before.queries,
    };
  } finally {
    for (const child of processes) {
      child.process.kill("SIGTERM");
      await child.process.exited;
      removeLogs(child);
    }
    await t.destroy();
    dns.cleanUp();
  }
}

const rows: Row[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  rows.push({ round, ...(await measure("no-queries", false)) });
  rows.push({ round, ...(await measure("query-every-100ms", true)) });
}
const medianOf = (name: string) =>
  median(rows.filter((row) => row.case === name).map((row) => row.mbps));
const ratio = medianOf("query-every-100ms") / medianOf("no-queries");
console.log(
  `dns-nat: iperf3 TCP ${SECONDS} s through app.internal (a DNS resource), ${ROUNDS} rounds\n`,
);
console.log(
  formatTable(rows, ["round", "case", "mbps", "retransmits", "buffered", "dropped", "queries"]),
);
console.log(`\nwith queries / without (medians): ${ratio.toFixed(3)}`);
console.log(`\nwrote ${writeBenchResults("dns-nat", { seconds: SECONDS, rows, ratio })}`);
