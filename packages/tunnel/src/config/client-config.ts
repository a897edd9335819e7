import type { DnsResource, Upstream } from "@fz/dns-nat";
import type { CidrResource, ClientGateway, ClientStateConfig } from "../client-state.ts";
import { InvalidConfigError } from "./config-error.ts";
import { readBoolean, readNamePattern, readUpstreams } from "./dns-fields.ts";
import { FieldReader } from "./fields.ts";
import {
  TUNNEL_V4_RANGE,
  TUNNEL_V4_RANGE_TEXT,
  TUNNEL_V6_RANGE,
  TUNNEL_V6_RANGE_TEXT,
} from "./ranges.ts";
import { readResourceHeader, refuseReservedOverlap } from "./resource-fields.ts";
import { readShellSettings, type ShellSettings } from "./shell-settings.ts";

export interface ClientConfig extends ClientStateConfig, ShellSettings {
  readonly dnsResources: readonly DnsResource[];
  /** `upstream_dns`; empty unless configured (the shell then fills it from resolv.conf). */
  readonly upstreamDns: readonly Upstream[];
  /** `set_system_resolver` (default true): whether the shell points the system at the sentinels. */
  readonly setSystemResolver: boolean;
}

/**
 * Validates a parsed client configuration (TOML: top-level keys, `[[gateways]]` and
 * `[[resources]]` of type `cidr` or `dns`), throwing `InvalidConfigError` that lists every
 * problem with its fix.
 */
export function parseClientConfig(raw: unknown, source?: string): ClientConfig {
  const read = new FieldReader();
  const top = read.table(raw, "(top level)") ?? {};
  const privateKey = read.key(
    top,
    "private_key",
    "private_key",
    "the output of `firezone keygen` (or `wg genkey`)",
  );
  const tunnelIpv4 = read.ipv4In(
    top,
    "tunnel_ipv4",
    "tunnel_ipv4",
    TUNNEL_V4_RANGE,
    TUNNEL_V4_RANGE_TEXT,
  );
  const tunnelIpv6 = read.ipv6In(
    top,
    "tunnel_ipv6",
    "tunnel_ipv6",
    TUNNEL_V6_RANGE,
    TUNNEL_V6_RANGE_TEXT,
  );
  const shell = readShellSettings(read, top);
  const upstreamDns = readUpstreams(read, top, "upstream_dns");
  const setSystemResolver = readBoolean(
    read,
    top,
    "set_system_resolver",
    "set_system_resolver",
    true,
  );

  const gateways: ClientGateway[] = [];
  const gatewayIds: string[] = [];
  read.tables(top.gateways, "gateways", true).forEach((table, i) => {
    const field = (key: string) => `gateways[${i}].${key}`;
    const id = read.string(table, "id", field("id"), "office");
    if (id !== undefined) gatewayIds.push(id);
    const publicKey = read.key(
      table,
      "public_key",
      field("public_key"),
      "the gateway's public key (`firezone pubkey`)",
    );
    const endpoint = read.endpoint(table, "endpoint", field("endpoint"));
    const presharedKey = read.key(
      table,
      "preshared_key",
      field("preshared_key"),
      "a key from `firezone keygen`, the same on both sides",
      true,
    );
    const keepalive = read.integer(
      table,
      "persistent_keepalive",
      field("persistent_keepalive"),
      [0, 65535],
    );
    if (id !== undefined && gatewayIds.indexOf(id) !== gatewayIds.length - 1) {
      read.problem(field("id"), `'${id}' is used twice`, "give each gateway its own id");
    }
    if (id === undefined || publicKey === undefined || endpoint === undefined) return;
    gateways.push({
      id,
      publicKey,
      endpoint,
      ...(presharedKey === undefined ? {} : { presharedKey }),
      ...(keepalive === undefined ? {} : { persistentKeepaliveSeconds: keepalive }),
    });
  });

  const resources: CidrResource[] = [];
  const dnsResources: DnsResource[] = [];
  const resourceIds: string[] = [];
  read.tables(top.resources, "resources", true).forEach((table, i) => {
    const { id, type, field } = readResourceHeader(read, table, i, "client", resourceIds);
    const pattern =
      type === "dns" ? readNamePattern(read, table, "address", field("address")) : undefined;
    const network = type === "dns" ? undefined : read.network(table, "address", field("address"));
    if (network !== undefined) refuseReservedOverlap(read, network, field("address"), "client");
    const gateway = read.string(table, "gateway", field("gateway"), gatewayIds[0] ?? "office");
    if (gateway !== undefined && !gatewayIds.includes(gateway)) {
      read.problem(
        field("gateway"),
        `no gateway has the id '${gateway}'`,
        `use one of: ${gatewayIds.join(", ") || "(define a [[gateways]] section)"}`,
      );
    }
    if (id === undefined || gateway === undefined) return;
    if (type === "cidr" && network !== undefined) resources.push({ id, network, gateway });
    if (type === "dns" && pattern !== undefined) dnsResources.push({ id, pattern, gateway });
  });

  if (
    read.problems.length > 0 ||
    privateKey === undefined ||
    tunnelIpv4 === undefined ||
    tunnelIpv6 === undefined
  ) {
    throw new InvalidConfigError(read.problems, source);
  }
  return {
    privateKey,
    tunnelIpv4,
    tunnelIpv6,
    gateways,
    resources,
    dnsResources,
    upstreamDns,
    setSystemResolver,
    ...shell,
  };
}
