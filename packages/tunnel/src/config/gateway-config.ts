import type { Endpoint } from "@fz/wireguard";
import type { GatewayDnsResource } from "../gateway-dns-resource.ts";
import type { ClientAuthorization, GatewayResource, GatewayStateConfig } from "../gateway-state.ts";
import { sameAddress } from "../ip-network.ts";
import { InvalidConfigError } from "./config-error.ts";
import { readNamePattern } from "./dns-fields.ts";
import { readDnsResolver } from "./dns-resolver.ts";
import { FieldReader } from "./fields.ts";
import {
  TUNNEL_V4_RANGE,
  TUNNEL_V4_RANGE_TEXT,
  TUNNEL_V6_RANGE,
  TUNNEL_V6_RANGE_TEXT,
} from "./ranges.ts";
import { readResourceHeader, refuseReservedOverlap } from "./resource-fields.ts";
import { readShellSettings, type ShellSettings } from "./shell-settings.ts";

export const DEFAULT_LISTEN_PORT = 51820;

export interface GatewayConfig extends GatewayStateConfig, ShellSettings {
  readonly listenPort: number;
  /**
   * Masquerade tunnel traffic leaving this interface (the resource-facing one); when unset,
   * traffic leaving any interface but the TUN device.
   */
  readonly egressInterface: string | undefined;
  /** The gateway's own tunnel addresses, on its TUN device. */
  readonly tunnelIpv4: number;
  readonly tunnelIpv6: Uint8Array;
  /** `[[resources]]` with `type = "dns"`; the CIDR ones are in `resources`. */
  readonly dnsResources: readonly GatewayDnsResource[];
  /** Where the shell resolves DNS resources' names; the system's resolver when unset. */
  readonly dnsResolver: Endpoint | undefined;
}

/**
 * Validates a parsed gateway configuration (TOML: top-level keys, `[[resources]]` and
 * `[[clients]]`), throwing `InvalidConfigError` that lists every problem with its fix.
 */
export function parseGatewayConfig(raw: unknown, source?: string): GatewayConfig {
  const read = new FieldReader();
  const top = read.table(raw, "(top level)") ?? {};
  const privateKey = read.key(
    top,
    "private_key",
    "private_key",
    "the output of `firezone keygen` (or `wg genkey`)",
  );
  const listenPort =
    read.integer(top, "listen_port", "listen_port", [1, 65535]) ?? DEFAULT_LISTEN_PORT;
  const egressInterface = read.optionalString(top, "egress_interface", "egress_interface", "eth0");
  const tunnelIpv4 =
    top.tunnel_ipv4 === undefined
      ? 0x64400001
      : read.ipv4In(top, "tunnel_ipv4", "tunnel_ipv4", TUNNEL_V4_RANGE, TUNNEL_V4_RANGE_TEXT);
  const tunnelIpv6 =
    top.tunnel_ipv6 === undefined
      ? Uint8Array.of(0xfd, 0, 0x20, 0x21, 0x11, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
      : read.ipv6In(top, "tunnel_ipv6", "tunnel_ipv6", TUNNEL_V6_RANGE, TUNNEL_V6_RANGE_TEXT);
  const shell = readShellSettings(read, top);
  const dnsResolver = readDnsResolver(read, top);

  const resources: GatewayResource[] = [];
  const dnsResources: GatewayDnsResource[] = [];
  const resourceIds: string[] = [];
  read.tables(top.resources, "resources", true).forEach((table, i) => {
    const { id, type, field } = readResourceHeader(read, table, i, "gateway", resourceIds);
    if (type === "dns") {
      const pattern = readNamePattern(read, table, "address", field("address"));
      if (id !== undefined && pattern !== undefined) dnsResources.push({ id, pattern });
      return;
    }
    const network = read.network(table, "address", field("address"));
    if (network !== undefined) refuseReservedOverlap(read, network, field("address"), "gateway");
    if (id === undefined || network === undefined || type !== "cidr") return;
    resources.push({ id, network });
  });

  const clients: ClientAuthorization[] = [];
  read.tables(top.clients, "clients", true).forEach((table, i) => {
    const field = (key: string) => `clients[${i}].${key}`;
    const id = read.string(table, "id", field("id"), "alice-laptop");
    const publicKey = read.key(
      table,
      "public_key",
      field("public_key"),
      "the client's public key (`firezone pubkey`)",
    );
    const ipv4 = read.ipv4In(
      table,
      "tunnel_ipv4",
      field("tunnel_ipv4"),
      TUNNEL_V4_RANGE,
      TUNNEL_V4_RANGE_TEXT,
    );
    const ipv6 = read.ipv6In(
      table,
      "tunnel_ipv6",
      field("tunnel_ipv6"),
      TUNNEL_V6_RANGE,
      TUNNEL_V6_RANGE_TEXT,
    );
    const granted = read.stringList(
      table,
      "resources",
      field("resources"),
      resourceIds[0] ?? "office-lan",
    );
    const presharedKey = read.key(
      table,
      "preshared_key",
      field("preshared_key"),
      "a key from `firezone keygen`, the same on both sides",
      true,
    );
    for (const resource of granted) {
      if (!resourceIds.includes(resource)) {
        read.problem(
          field("resources"),
          `no resource has the id '${resource}'`,
          `use ids from [[resources]]: ${resourceIds.join(", ")}`,
        );
      }
    }
    if (id !== undefined && clients.some((client) => client.id === id)) {
      read.problem(field("id"), `'${id}' is used twice`, "give each client its own id");
    }
    if (
      publicKey !== undefined &&
      clients.some((client) => sameAddress(client.publicKey, publicKey))
    ) {
      read.problem(
        field("public_key"),
        "the same key is given to two clients",
        "give each client its own key pair",
      );
    }
    if (
      ipv4 !== undefined &&
      (ipv4 === tunnelIpv4 || clients.some((client) => client.tunnelIpv4 === ipv4))
    ) {
      read.problem(
        field("tunnel_ipv4"),
        "is already in use",
        "give each client its own tunnel address",
      );
    }
    if (
      ipv6 !== undefined &&
      ((tunnelIpv6 !== undefined && sameAddress(ipv6, tunnelIpv6)) ||
        clients.some((client) => sameAddress(client.tunnelIpv6, ipv6)))
    ) {
      read.problem(
        field("tunnel_ipv6"),
        "is already in use",
        "give each client its own tunnel address",
      );
    }
    if (id === undefined || publicKey === undefined || ipv4 === undefined || ipv6 === undefined)
      return;
    clients.push({
      id,
      publicKey,
      tunnelIpv4: ipv4,
      tunnelIpv6: ipv6,
      resources: granted,
      ...(presharedKey === undefined ? {} : { presharedKey }),
    });
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
    listenPort,
    egressInterface,
    tunnelIpv4,
    tunnelIpv6,
    resources,
    dnsResources,
    clients,
    dnsResolver,
    ...shell,
  };
}
