import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Addresses, createTopology, NetnsHost, type Topology } from "@fz/netns";
import { type CheckResult, httpGet, ping, resolveToProxyIp } from "./demo-checks.ts";
import {
  clientToml,
  DEMO_DNS_SERVER,
  DEMO_LISTEN_PORT,
  DEMO_NAME,
  gatewayToml,
  generateKeyPair,
  statusSocketDir,
} from "./demo-config.ts";
import { type FirezoneChild, loggedProblems, startFirezone } from "./demo-firezone.ts";
import {
  existingNamespaces,
  giveOwnResolvConf,
  HTTP_PORT,
  namespaceNames,
  startDnsmasq,
  startHttpServer,
} from "./demo-network.ts";
import type { DemoReport } from "./demo-report.ts";
import {
  Interrupted,
  type StopRequests,
  type StopSignal,
  takeStopSignals,
} from "./demo-signals.ts";

export interface DemoRunOptions {
  readonly prefix: string;
  readonly keep: boolean;
  readonly dnsmasq: boolean;
  readonly curl: boolean;
}

/** What the run made, in the order it made it; cleanUp() takes it apart in reverse. */
interface Made {
  readonly workDir: string;
  /** The client's and gateway's logs and status sockets. */
  readonly logDir: string;
  readonly topology: Topology;
  readonly children: FirezoneChild[];
}

/**
 * Steps 2 to 6 of the demo, once the machine is known to be able to: the namespaces, the
 * configs, the gateway and client, the checks through the tunnel, and the clean-up, which runs
 * whatever happened (a failed step, an exception, a signal). Resolves with the signal that
 * interrupted the set-up or the checks, if one did; with --keep, the one that ends the wait is
 * no interruption.
 */
export async function runDemo(
  options: DemoRunOptions,
  report: DemoReport,
): Promise<StopSignal | undefined> {
  report.heading("Building the network");
  // mkdtemp makes it 0700: the private keys go in there.
  const workDir = mkdtempSync(join(tmpdir(), `${options.prefix}-`));
  let topology: Topology;
  try {
    topology = createTopology(options.prefix);
  } catch (error) {
    report.fail(`namespaces: ${messageOf(error)}`);
    rmSync(workDir, { recursive: true, force: true });
    return undefined;
  }
  const made: Made = { workDir, logDir: join(workDir, "logs"), topology, children: [] };
  const signals = takeStopSignals(() => {
    report.note("second signal: removing everything at once");
    NetnsHost.removeAllNow();
    rmSync(made.workDir, { recursive: true, force: true });
  });
  let interruptedBy: StopSignal | undefined;
  try {
    // Before anything can fail: the clean-up looks for the logs there.
    mkdirSync(made.logDir);
    await setUpAndCheck(options, made, report, signals);
    if (options.keep) {
      printHandsOn(options, made, report);
      await signals.next;
    }
  } catch (error) {
    if (error instanceof Interrupted) {
      interruptedBy = error.signal;
      report.note(error.message);
    } else {
      report.fail(messageOf(error));
    }
  } finally {
    try {
      await cleanUp(options.prefix, made, report);
    } finally {
      signals.release();
    }
  }
  return interruptedBy;
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
    if (signal !== undefined) throw new Interrupted(signal);
  };
  /**
   * Reports a check, unless a signal came while it ran: a Ctrl-C in the terminal reaches ping,
   * curl and getent too, and their failure then says nothing of the tunnel.
   */
  const check = async (running: CheckResult | Promise<CheckResult>): Promise<boolean> => {
    const result = await running;
    // A signal that came during a synchronous check is handled only once the event loop turns.
    await Bun.sleep(0);
    stopIfAsked();
    return report.check(result);
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
  // The client rewrites /etc/resolv.conf: only once it is the namespace's own, never the machine's.
  const ownResolvConf = giveOwnResolvConf(client);
  if (!ownResolvConf) {
    report.note(
      `${client.name} sees the machine's /etc/resolv.conf (ip netns exec could not mount ` +
        `/etc/netns/${client.name}/resolv.conf over it): the client leaves DNS alone ` +
        `(set_system_resolver = false)${options.dnsmasq ? `, and ${DEMO_NAME} is not looked up by name` : ""}`,
    );
  }
  writeConfigs(options, made, ownResolvConf);
  report.pass(`fresh keys, gateway.toml and client.toml in ${made.workDir}`);
  stopIfAsked();

  report.heading("Starting Firezone");
  const gw = await startFirezone(
    gateway,
    "gateway",
    join(made.workDir, "gateway.toml"),
    made.logDir,
    signals.received,
  );
  made.children.push(gw);
  report.pass(
    `gateway started in ${gateway.name} (pid ${gw.pid}), UDP ${Addresses.gatewayUnderlay4}:${DEMO_LISTEN_PORT}`,
  );
  const cl = await startFirezone(
    client,
    "client",
    join(made.workDir, "client.toml"),
    made.logDir,
    signals.received,
  );
  made.children.push(cl);
  report.pass(`client started in ${client.name} (pid ${cl.pid}), TUN ${String(cl.started.tun)}`);
  if (ownResolvConf) {
    const nameservers = readFileSync(`/etc/netns/${client.name}/resolv.conf`, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("nameserver"));
    report.note(`${client.name}'s resolv.conf now says: ${nameservers.join(", ")}`);
  }
  stopIfAsked();

  report.heading(`Through the tunnel, from ${client.name}`);
  for (const address of [Addresses.resource4, Addresses.resource6]) {
    await check(ping(client, address));
  }
  for (const host of [Addresses.resource4, `[${Addresses.resource6}]`]) {
    await check(httpGet(client, `http://${host}:${HTTP_PORT}/`, options.curl));
  }
  if (options.dnsmasq && ownResolvConf) {
    if (await check(resolveToProxyIp(client, DEMO_NAME))) {
      await check(httpGet(client, `http://${DEMO_NAME}:${HTTP_PORT}/`, options.curl));
    }
  }
}

function writeConfigs(options: DemoRunOptions, made: Made, setSystemResolver: boolean): void {
  const configOptions = {
    gateway: generateKeyPair(),
    client: generateKeyPair(),
    logDir: made.logDir,
    gatewayAddress: Addresses.gatewayUnderlay4,
    resourceLan4: Addresses.resourceLan4,
    resourceLan6: Addresses.resourceLan6,
    dnsResource: options.dnsmasq,
    setSystemResolver,
  };
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
  report.note(`logs (JSON lines): ${made.logDir}`);
  report.note(`counters into the logs: sudo kill -USR1 ${pids}`);
  const statusDir = statusSocketDir(made.logDir, "client");
  report.note(`peers and handshakes: sudo bunx firezone status --socket-dir ${statusDir}`);
  report.note("Ctrl-C stops the demo and removes everything it made");
}

/** Each step on its own: one that throws is reported and never keeps the next from running. */
async function cleanUp(prefix: string, made: Made, report: DemoReport): Promise<void> {
  report.heading("Cleaning up");
  for (const child of made.children.reverse()) {
    await step(report, `stopping the ${child.role}`, async () => report.check(await child.stop()));
  }
  if (report.failed > 0) {
    await step(report, "reading the logs", () => {
      for (const line of loggedProblems(made.logDir)) report.note(`log: ${line}`);
    });
  }
  await step(report, "removing the namespaces", async () => {
    await made.topology.destroy();
    const netnsDirs = namespaceNames(prefix).map((name) => `/etc/netns/${name}`);
    const left = [...existingNamespaces(prefix), ...netnsDirs.filter((dir) => existsSync(dir))];
    if (left.length === 0) report.pass(`namespaces and /etc/netns/${prefix}-* removed`);
    else report.fail(`still there: ${left.join(", ")}`);
  });
  await step(report, `removing ${made.workDir}`, () => {
    rmSync(made.workDir, { recursive: true, force: true });
    report.pass(`${made.workDir} removed`);
  });
}

async function step(report: DemoReport, what: string, run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    report.fail(`${what}: ${messageOf(error)}`);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
