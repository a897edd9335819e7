import { parseIpAddress } from "./address-format.ts";
import { buildP2pControlPacket, type P2pControlPacket, P2pEventType } from "./p2p-control.ts";
import { type WireError, wireError } from "./wire-error.ts";

// The JSON bodies of Firezone's p2p control events, byte-compatible with connlib's serde forms:
// AssignedIps {"resource","domain","proxy_ips"} and DomainStatus {"resource","domain","status"},
// keys in that order; Goodbye has no body. An unknown status reads as "Inactive", as connlib's
// `#[serde(other)]` does. This is the control path: strings and JSON are fine here.

/** The client tells the gateway which proxy IPs stand for a DNS resource's name. */
export interface AssignedIps {
  readonly resource: string;
  readonly domain: string;
  /** 4 or 8 addresses as text ("100.96.0.1", "fd00:2021:1111:8000::1"). */
  readonly proxyIps: readonly string[];
}

/** Whether the gateway's NAT for a name is set up. */
export type NatStatus = "Active" | "Inactive";

/** The gateway answers AssignedIps. */
export interface DomainStatus {
  readonly resource: string;
  readonly domain: string;
  readonly status: NatStatus;
}

/** A decoded p2p control event; an unknown type is reported, not refused, for newer peers. */
export type P2pEvent =
  | ({ readonly type: "AssignedIps" } & AssignedIps)
  | ({ readonly type: "DomainStatus" } & DomainStatus)
  | { readonly type: "Goodbye" }
  | { readonly type: "Unknown"; readonly eventType: number };

/** Builds an AssignedIps packet; "bad-event" unless there are 4 or 8 valid proxy IPs. */
export function buildAssignedIps(event: AssignedIps, out?: Uint8Array): Uint8Array | WireError {
  const count = event.proxyIps.length;
  if (count !== 4 && count !== 8) return wireError("bad-event");
  if (!event.proxyIps.every((ip) => parseIpAddress(ip) !== undefined)) {
    return wireError("bad-event");
  }
  const json = { resource: event.resource, domain: event.domain, proxy_ips: event.proxyIps };
  return buildP2pControlPacket(P2pEventType.AssignedIps, encode(json), out);
}

/** Builds a DomainStatus packet. */
export function buildDomainStatus(event: DomainStatus, out?: Uint8Array): Uint8Array | WireError {
  const json = { resource: event.resource, domain: event.domain, status: event.status };
  return buildP2pControlPacket(P2pEventType.DomainStatus, encode(json), out);
}

/** Builds a Goodbye packet: the header alone. */
export function buildGoodbye(out?: Uint8Array): Uint8Array | WireError {
  return buildP2pControlPacket(P2pEventType.Goodbye, EMPTY, out);
}

/** Decodes a control packet's event; "bad-event" when the body is not the JSON its type needs. */
export function decodeP2pEvent(packet: P2pControlPacket): P2pEvent | WireError {
  switch (packet.eventType) {
    case P2pEventType.AssignedIps: {
      const json = decodeObject(packet.body());
      if (json === undefined) return wireError("bad-event");
      const { resource, domain, proxy_ips: proxyIps } = json;
      if (typeof resource !== "string" || typeof domain !== "string") {
        return wireError("bad-event");
      }
      if (!Array.isArray(proxyIps)) return wireError("bad-event");
      const ips: string[] = [];
      for (const ip of proxyIps) {
        if (typeof ip !== "string" || parseIpAddress(ip) === undefined) {
          return wireError("bad-event");
        }
        ips.push(ip);
      }
      return { type: "AssignedIps", resource, domain, proxyIps: ips };
    }
    case P2pEventType.DomainStatus: {
      const json = decodeObject(packet.body());
      if (json === undefined) return wireError("bad-event");
      const { resource, domain, status } = json;
      if (typeof resource !== "string" || typeof domain !== "string") {
        return wireError("bad-event");
      }
      if (typeof status !== "string") return wireError("bad-event");
      return {
        type: "DomainStatus",
        resource,
        domain,
        status: status === "Active" ? "Active" : "Inactive",
      };
    }
    case P2pEventType.Goodbye:
      return { type: "Goodbye" };
    default:
      return { type: "Unknown", eventType: packet.eventType };
  }
}

function encode(json: unknown): Uint8Array {
  return ENCODER.encode(JSON.stringify(json));
}

function decodeObject(body: Uint8Array): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(DECODER.decode(body));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  return parsed as Record<string, unknown>;
}

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);
