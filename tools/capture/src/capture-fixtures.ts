/**
 * Captures real traffic between two network namespaces of its own and writes it as fixtures:
 * packages/ip-packet/fixtures/captures.json and packages/dns/fixtures/captures.json.
 * Run as root: `bun run capture` in tools/capture (`-- --keep-pcaps DIR` keeps the pcaps).
 */

import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "bun";
import {
  captureScenario,
  missingCommands,
  REQUIRED_COMMANDS,
  startServers,
  toolVersions,
  warmUp,
} from "./capture.ts";
import { auditChecksums, type ChecksumAudit, mergeAudits } from "./checksum-audit.ts";
import { BackgroundProcess } from "./command.ts";
import { dnsMessageFixtures } from "./dns-messages.ts";
import { CaptureContentError, PrerequisiteError } from "./errors.ts";
import type { DnsMessageFixture, IpPacketFixture } from "./fixtures.ts";
import { capturedPackets, ipPacketFixtures } from "./ip-packets.ts";
import { createTopology, destroyTopology, type Topology, topologyFor } from "./netns.ts";
import { readPcap } from "./pcap-reader.ts";
import { type Scenario, scenariosFor } from "./scenarios.ts";
import {
  CHECKSUM_PREFERENCES,
  CHECKSUM_STATUS_FIELDS,
  DNS_FIELDS,
  IP_FIELDS,
  PER_PACKET_PREFERENCES,
  RENAMED_FIELDS,
  runTsharkFields,
  unknownTsharkFields,
} from "./tshark.ts";
import { writeFixtures } from "./writer.ts";

async function main(): Promise<void> {
  await checkPrerequisites();
  const topology = topologyFor(process.pid);
  const scenarios = scenariosFor(topology);
  const workDir = await mkdtemp(join(tmpdir(), `fzcap-${process.pid}-`));
  const keepDir = argValue("--keep-pcaps");
  const pcapDir = keepDir ?? workDir;
  if (keepDir !== undefined) await mkdir(keepDir, { recursive: true });
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: cleaning up`);
    BackgroundProcess.killAllStartedNow();
    for (const namespace of [topology.client, topology.server]) {
      spawnSync(["ip", "netns", "del", namespace], { stdout: "ignore", stderr: "ignore" });
    }
    spawnSync(["rm", "-rf", workDir]);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await recordScenarios(topology, scenarios, pcapDir, workDir);
    const { packets, messages } = await decodeScenarios(scenarios, pcapDir);
    const written = await writeFixtures(await toolVersions(), packets, messages);
    log(`wrote ${packets.length} IP packets and ${messages.length} DNS messages:`);
    for (const path of written) log(`  ${path}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function checkPrerequisites(): Promise<void> {
  if (process.getuid?.() !== 0) fail("run as root: it creates network namespaces");
  const missing = missingCommands();
  if (missing.length > 0) {
    const hints = missing.map((c) => `${c} (apt-get install ${REQUIRED_COMMANDS[c]})`);
    fail(`missing commands: ${hints.join(", ")}`);
  }
  const unknown = await unknownTsharkFields([...IP_FIELDS, ...DNS_FIELDS]);
  if (unknown.length > 0) fail(`this tshark does not know the fields ${unknown.join(", ")}`);
  const renamed = Object.entries(RENAMED_FIELDS).map(([asked, used]) => `${asked} -> ${used}`);
  log(`tshark field names replaced: ${renamed.join(", ")}`);
}

/** Builds the namespaces, records every scenario, and tears everything down again. */
async function recordScenarios(
  topology: Topology,
  scenarios: readonly Scenario[],
  pcapDir: string,
  workDir: string,
): Promise<void> {
  let servers: BackgroundProcess[] = [];
  try {
    await createTopology(topology);
    servers = await startServers(topology, workDir);
    await warmUp(topology);
    for (const scenario of scenarios) {
      await captureScenario(topology, scenario, join(pcapDir, `${scenario.name}.pcap`));
      log(`captured ${scenario.name}`);
    }
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await destroyTopology(topology);
  }
}

/** Reads each scenario's pcap and tshark's decoding of it; checks checksums and coverage. */
async function decodeScenarios(
  scenarios: readonly Scenario[],
  pcapDir: string,
): Promise<{ packets: IpPacketFixture[]; messages: DnsMessageFixture[] }> {
  const packets: IpPacketFixture[] = [];
  const messages: DnsMessageFixture[] = [];
  const perPacketAudits: ChecksumAudit[] = [];
  const reassembledAudits: ChecksumAudit[] = [];
  for (const scenario of scenarios) {
    const pcapPath = join(pcapDir, `${scenario.name}.pcap`);
    const captured = capturedPackets(readPcap(await Bun.file(pcapPath).bytes()));
    const kept = new Set(captured.map((packet) => packet.frameNumber));
    const perPacketPreferences = [...CHECKSUM_PREFERENCES, ...PER_PACKET_PREFERENCES];
    const ipFrames = await runTsharkFields(pcapPath, IP_FIELDS, perPacketPreferences);
    const dnsFrames = await runTsharkFields(pcapPath, DNS_FIELDS, CHECKSUM_PREFERENCES);
    const checksumFrames = await runTsharkFields(
      pcapPath,
      CHECKSUM_STATUS_FIELDS,
      CHECKSUM_PREFERENCES,
    );
    perPacketAudits.push(auditChecksums(scenario.name, ipFrames, kept));
    reassembledAudits.push(auditChecksums(scenario.name, checksumFrames, kept));
    const scenarioPackets = ipPacketFixtures(scenario.name, captured, ipFrames);
    const scenarioMessages = dnsMessageFixtures(scenario.name, captured, dnsFrames);
    checkCoverage(scenario, scenarioPackets, scenarioMessages);
    packets.push(...scenarioPackets);
    messages.push(...scenarioMessages);
    log(
      `${scenario.name}: ${scenarioPackets.length} IP packets, ${scenarioMessages.length} DNS messages`,
    );
  }
  const perPacket = mergeAudits(perPacketAudits);
  const reassembled = mergeAudits(reassembledAudits);
  const notGood = [...perPacket.bad, ...reassembled.bad, ...reassembled.unverified];
  if (notGood.length > 0) {
    const lines = notGood.map(
      (v) => `  ${v.scenario} frame ${v.frameNumber} ${v.field}=${v.status}`,
    );
    throw new CaptureContentError(
      `tshark did not find these checksums good (an offload still on?):\n${lines.join("\n")}`,
    );
  }
  const unverified = perPacket.unverified.map(
    (v) => `${v.scenario} frame ${v.frameNumber} ${v.field}`,
  );
  log(`checksums: all ${reassembled.good} good when tshark reassembles fragments and streams`);
  log(`packet by packet, unverifiable without the other fragments: ${unverified.join(", ")}`);
  return { packets, messages };
}

function checkCoverage(
  scenario: Scenario,
  packets: readonly IpPacketFixture[],
  messages: readonly DnsMessageFixture[],
): void {
  if (packets.length === 0) {
    throw new CaptureContentError(`${scenario.name}: captured no IP packets`);
  }
  const directions = new Set(messages.map((message) => message.direction));
  if (scenario.dns && (!directions.has("query") || !directions.has("response"))) {
    throw new CaptureContentError(`${scenario.name}: did not capture both a query and a response`);
  }
}

function argValue(flag: string): string | undefined {
  const at = process.argv.indexOf(flag);
  return at < 0 ? undefined : process.argv[at + 1];
}

function log(message: string): void {
  console.error(`[capture] ${message}`);
}

function fail(message: string): never {
  throw new PrerequisiteError(message);
}

await main();
