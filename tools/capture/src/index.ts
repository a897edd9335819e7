export {
  captureScenario,
  missingCommands,
  REQUIRED_COMMANDS,
  SETTLE_MS,
  startServers,
  toolVersions,
  warmUp,
} from "./capture.ts";
export {
  auditChecksums,
  type ChecksumAudit,
  type ChecksumVerdict,
  mergeAudits,
} from "./checksum-audit.ts";
export {
  BackgroundProcess,
  type CommandResult,
  inNamespace,
  type RunOptions,
  run,
} from "./command.ts";
export { DNS_PORT, dnsIdOf, dnsMessageFixtures } from "./dns-messages.ts";
export {
  CaptureContentError,
  CommandFailedError,
  OffloadStillOnError,
  PacketsDroppedError,
  PcapFormatError,
  PrerequisiteError,
  TsharkOutputError,
  UnsupportedLinkTypeError,
} from "./errors.ts";
export {
  DNS_FIXTURE_PATH,
  type DnsCaptureFixture,
  type DnsMessageFixture,
  dnsFixtureProblems,
  FIXTURE_SOURCE,
  formatFixtureJson,
  IP_FIXTURE_PATH,
  type IpCaptureFixture,
  type IpPacketFixture,
  ipFixtureProblems,
  isHex,
  type ToolVersions,
  toHex,
} from "./fixtures.ts";
export { type CapturedPacket, capturedPackets, ipPacketFixtures } from "./ip-packets.ts";
export {
  type IpSummary,
  isLinkLayerOnly,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  summarizeIp,
  type TransportSegment,
  trimToIpLength,
} from "./ip-summary.ts";
export {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  ipPacketOfFrame,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
} from "./link-layer.ts";
export {
  createTopology,
  destroyTopology,
  REQUIRED_OFF_FEATURES,
  type Topology,
  topologyFor,
} from "./netns.ts";
export { type PcapFile, type PcapRecord, readPcap } from "./pcap-reader.ts";
export {
  CLOSED_UDP_PORT,
  DNS_SCENARIO_NAMES,
  HTTP_BODY,
  HTTP_FILE,
  HTTP_PORT,
  SCENARIO_NAMES,
  type Scenario,
  type ScenarioName,
  scenariosFor,
} from "./scenarios.ts";
export {
  concatBytes,
  type LengthPrefixedMessage,
  reassembleTcpDirection,
  splitLengthPrefixed,
  TCP_FLAG_SYN,
  type TcpSegment,
} from "./tcp-stream.ts";
export {
  CHECKSUM_PREFERENCES,
  CHECKSUM_STATUS,
  CHECKSUM_STATUS_FIELDS,
  DNS_FIELDS,
  FIELD_SEPARATOR,
  type FieldValues,
  IP_FIELDS,
  OCCURRENCE_SEPARATOR,
  PER_PACKET_PREFERENCES,
  parseTsharkFields,
  RENAMED_FIELDS,
  runTsharkFields,
  type TsharkFrame,
  tsharkFieldsArgv,
  unknownTsharkFields,
} from "./tshark.ts";
export { REPO_ROOT, writeFixtures } from "./writer.ts";
export { dnsmasqArgs, HTTPS_RDATA_HEX, TTL_SECONDS, ZONE } from "./zone.ts";
