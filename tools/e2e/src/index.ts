export {
  createDnsTopology,
  type DnsTopology,
  LAN_DNS,
  MOVED_TO,
  MOVING_NAME,
  OUTSIDE_ADDRESS,
  OUTSIDE_NAME,
} from "./dns-topology.ts";
export {
  EXAMPLE_CLIENT_CONFIG,
  EXAMPLE_DNS_CLIENT_CONFIG,
  EXAMPLE_DNS_GATEWAY_CONFIG,
  EXAMPLE_GATEWAY_CONFIG,
  FIREZONE_BIN,
  type FirezoneProcess,
  REPO_ROOT,
  removeLogs,
  startFirezone,
} from "./firezone-processes.ts";
