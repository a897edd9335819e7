import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Addresses, createTopology, NetnsHost, type Topology } from "@fz/netns";
import { httpGet, ping, resolveToProxyIp } from "./demo-checks.ts";
import {
  clientToml,
  DEMO_DNS_SERVER,
  DEMO_LISTEN_PORT,
  DEMO_NAME,
  FIRST_SENTINEL,
  gatewayToml,
  generateKeyPair,
  statusSocketDir,
} from "./demo-config.ts";
import { type FirezoneChild, loggedProblems, startFirezone } from "./demo-firezone.ts";
import {
  existingNamespaces,
  HTTP_PORT,
  hostUsesResolved,
  namespaceNames,
  startDnsmasq,
  startHttpServer,
} from "./demo-network.ts";
import type { DemoReport } from "./demo-report.ts";
import { type StopRequests, takeStopSignals } from "./demo-signals.ts";

export interface DemoRunOptions {
  readonly prefix: string;
  readonly keep: boolean;
  readonly dnsmasq: boolean;
  readonly curl: boolean;
}

/** What the run made, in the order it made it; cleanUp() takes it apart in reverse. */
interface Made {
  readonly topology: Topology;
  readonly workDir: string;
  readonly children: FirezoneChild[];
}

/**
 * Steps 2 to 6 of the demo, once the machine is known to be able to: the namespaces, the
 * configs, the gateway and client, the checks through the tunnel, and the clean-up, which runs
 * whatever happened (a failed step, an exception, a signal).
 */
export async function runDemo(options: DemoRunOptions, report: DemoReport): Promise<void> {
  report.heading("Building the network");
  let topology: Topology;
  try {
    topology = createTopology(options.prefix);
  } catch (error) {
    report.fail(`namespaces: ${messageOf(error)}`);
    return;
  }
  const made: Made = {
    topology,
    workDir: mkdtempSync(join(tmpdir(), `${options.prefix}-`)),
    children: [],
  };
  const signals = takeStopSignals(() => {
    report.note("second signal: removing everything at once");
    NetnsHost.removeAllNow();
    rmSync(made.workDir, { recursive: true, force: true });
  });
  try {
    await setUpAndCheck(options, made, report, signals);
    if (options.keep && signals.received() === undefined) {
      printHandsOn(options, made, report);
      await signals.next;
    }
  } catch (error) {
    report.fail(messageOf(error));
  } finally {
    await cleanUp(options.prefix, made, report);
    signals.release();
  }
}

async function setUpAndCheck(
  options: DemoRunOptions,
  made: Made,
  report: DemoReport,
  signals: StopRequests,
): Promise<void> {
  const { client, gateway, resource } = made.topology;
  const stopIfAsked = () => {
    const signal = signals.received();
    if (signal !== undefined) throw new Error(`interrupted by ${signal}`);
  };
  report.pass(
    `namespaces ${namespaceNames(options.prefix).join(" | ")}: underlay 198.18.1.0/24, ` +
      `resource LAN ${Addresses.resourceLan4} and ${Addresses.resourceLan6}`,
  );
  await startHttpServer(resource);
  report.pass(
    `HTTP server on ${Addresses.resource4}:${HTTP_PORT} and [${Addresses.resource6}]:${HTTP_PORT}`,
  );
  if (options.dnsmasq) {
    await startDnsmasq(resource);
    report.pass(`dnsmasq on ${DEMO_DNS_SERVER} answers ${DEMO_NAME}`);
  } else {
    report.note(`no DNS resource ${DEMO_NAME}: dnsmasq is not installed`);
  }
  // The client rewrites resolv.conf: this gives it the namespace's own, never the machine's.
  const viaResolved = hostUsesResolved();
  client.writeResolvConf(
    viaResolved
      ? `nameserver ${FIRST_SENTINEL}\n`
      : "# the firezone demo's client namespace; the client points it at its sentinel\n",
  );
  if (viaResolved) {
    report.note(
      `systemd-resolved manages DNS here: the demo lists ${FIRST_SENTINEL} in the namespace itself`,
    );
  }
  writeConfigs(options, made, !viaResolved);
  report.pass(`fresh keys, gateway.toml and client.toml in ${made.workDir}`);
  stopIfAsked();

  report.heading("Starting Firezone");
  const giveUp = () => signals.received() !== undefined;
  const logDir = join(made.workDir, "logs");
  const gw = await startFirezone(
    gateway,
    "gateway",
    join(made.workDir, "gateway.toml"),
    logDir,
    giveUp,
  );
  made.children.push(gw);
  report.pass(
    `gateway started in ${gateway.name} (pid ${gw.pid}), UDP ${Addresses.gatewayUnderlay4}:${DEMO_LISTEN_PORT}`,
  );
  const cl = await startFirezone(
    client,
    "client",
    join(made.workDir, "client.toml"),
    logDir,
    giveUp,
  );
  made.children.push(cl);
  report.pass(`client started in ${client.name} (pid ${cl.pid}), TUN ${String(cl.started.tun)}`);
  const nameservers = readFileSync(`/etc/netns/${client.name}/resolv.conf`, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("nameserver"));
  report.note(`${client.name}'s resolv.conf now says: ${nameservers.join(", ")}`);
  stopIfAsked();

  report.heading(`Through the tunnel, from ${client.name}`);
  for (const address of [Addresses.resource4, Addresses.resource6]) {
    report.check(ping(client, address));
    stopIfAsked();
  }
  for (const host of [Addresses.resource4, `[${Addresses.resource6}]`]) {
    report.check(await httpGet(client, `http://${host}:${HTTP_PORT}/`, options.curl));
    stopIfAsked();
  }
  if (options.dnsmasq) {
    if (report.check(resolveToProxyIp(client, DEMO_NAME))) {
      report.check(await httpGet(client, `http://${DEMO_NAME}:${HTTP_PORT}/`, options.curl));
    }
  }
}

function writeConfigs(options: DemoRunOptions, made: Made, setSystemResolver: boolean): void {
  const logDir = join(made.workDir, "logs");
  mkdirSync(logDir);
  const configOptions = {
    gateway: generateKeyPair(),
    client: generateKeyPair(),
    logDir,
    gatewayAddress: Addresses.gatewayUnderlay4,
    resourceLan4: Addresses.resourceLan4,
    resourceLan6: Addresses.resourceLan6,
    dnsResource: options.dnsmasq,
    setSystemResolver,
  };
  // The private keys are in there.
  chmodSync(made.workDir, 0o700);
  writeFileSync(join(made.workDir, "gateway.toml"), gatewayToml(configOptions), { mode: 0o600 });
  writeFileSync(join(made.workDir, "client.toml"), clientToml(configOptions), { mode: 0o600 });
}

function printHandsOn(options: DemoRunOptions, made: Made, report: DemoReport): void {
  const inClient = `sudo ip netns exec ${made.topology.client.name}`;
  const get = (url: string) =>
    options.curl
      ? `${inClient} curl ${url}`
      : `${inClient} bun -e 'console.log(await (await fetch("${url}")).text())'`;
  const pids = made.children.map((child) => `${child.pid} (${child.role})`).join(" or ");
  report.heading("Still running: try it by hand in another terminal");
  report.note(`${inClient} ping ${Addresses.resource4}`);
  report.note(`${inClient} ping ${Addresses.resource6}`);
  report.note(get(`http://${Addresses.resource4}:${HTTP_PORT}/`));
  if (options.dnsmasq) report.note(get(`http://${DEMO_NAME}:${HTTP_PORT}/`));
  report.note(`logs (JSON lines): ${join(made.workDir, "logs")}`);
  report.note(`counters into the logs: sudo kill -USR1 ${pids}`);
  const statusDir = statusSocketDir(join(made.workDir, "logs"), "client");
  report.note(`peers and handshakes: sudo bunx firezone status --socket-dir ${statusDir}`);
  report.note("Ctrl-C stops the demo and removes everything it made");
}

async function cleanUp(prefix: string, made: Made, report: DemoReport): Promise<void> {
  report.heading("Cleaning up");
  for (const child of made.children.reverse()) report.check(await child.stop());
  if (report.failed > 0) {
    for (const line of loggedProblems(join(made.workDir, "logs"))) report.note(`log: ${line}`);
  }
  await made.topology.destroy();
  const left = existingNamespaces(prefix);
  if (left.length === 0) report.pass(`namespaces and /etc/netns/${prefix}-* removed`);
  else report.fail(`namespaces still there: ${left.join(", ")}`);
  rmSync(made.workDir, { recursive: true, force: true });
  report.pass(`${made.workDir} removed`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
