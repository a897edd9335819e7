import { bufferFor } from "./build-packet.ts";
import { emitIpv6Header } from "./emit-ip-header.ts";
import type { IpPacket } from "./ip-packet.ts";
import { IpProtocol, MAX_IP_SIZE } from "./ip-protocol.ts";
import { IPV6_FIELD, IPV6_HEADER_LEN } from "./ipv6.ts";
import { type WireError, wireError } from "./wire-error.ts";

// Firezone's p2p control protocol (connlib ip-packet fz_p2p_control*.rs, tunnel-proto
// p2p_control.rs): IPv6 packets inside the tunnel from :: to ::, which no real traffic can be,
// with next header 0xFF (reserved), hop limit 0, and a payload of an 8-byte header (byte 0 the
// event type, the rest zero) followed by a JSON body. The whole packet fits in 1280 bytes.

/** Event types of the p2p control protocol. */
export const P2pEventType = { AssignedIps: 0, DomainStatus: 1, Goodbye: 2 } as const;

/** The 8-byte p2p control header. */
export const P2P_CONTROL_HEADER_LEN = 8;

/** A view of a p2p control packet: the event type and the body after the 8-byte header. */
export class P2pControlPacket {
  private constructor(
    /** The whole IPv6 packet. */
    readonly bytes: Uint8Array,
  ) {}

  /** Recognises a p2p control packet among checked IP packets; "not-p2p-control" for the rest. */
  static checked(packet: IpPacket): P2pControlPacket | WireError {
    if (!isP2pControl(packet)) return wireError("not-p2p-control");
    if (packet.bytes.length < IPV6_HEADER_LEN + P2P_CONTROL_HEADER_LEN) {
      return wireError("truncated");
    }
    return new P2pControlPacket(packet.bytes);
  }

  /** Byte 0 of the control header (P2pEventType). */
  get eventType(): number {
    return this.bytes[IPV6_HEADER_LEN] ?? 0;
  }

  /** The JSON body after the control header. */
  body(): Uint8Array {
    return this.bytes.subarray(IPV6_HEADER_LEN + P2P_CONTROL_HEADER_LEN);
  }
}

/** Whether a packet is IPv6 from :: to :: with next header 0xFF, as Firezone tells them apart. */
export function isP2pControl(packet: IpPacket): boolean {
  if (packet.version !== 6) return false;
  const bytes = packet.bytes;
  if (bytes[IPV6_FIELD.NEXT_HEADER] !== IpProtocol.Reserved) return false;
  for (let i = IPV6_FIELD.SRC; i < IPV6_HEADER_LEN; i++) {
    if (bytes[i] !== 0) return false;
  }
  return true;
}

/** Builds a p2p control packet; "too-large" past 1280 bytes. */
export function buildP2pControlPacket(
  eventType: number,
  body: Uint8Array,
  out?: Uint8Array,
): Uint8Array | WireError {
  const len = IPV6_HEADER_LEN + P2P_CONTROL_HEADER_LEN + body.length;
  if (len > MAX_IP_SIZE) return wireError("too-large");
  const buffer = bufferFor(out, len);
  if (!(buffer instanceof Uint8Array)) return buffer;
  const bytes = buffer.subarray(0, len);
  bytes.set(body, IPV6_HEADER_LEN + P2P_CONTROL_HEADER_LEN);
  emitIpv6Header(bytes, {
    src: UNSPECIFIED,
    dst: UNSPECIFIED,
    nextHeader: IpProtocol.Reserved,
    payloadLen: len - IPV6_HEADER_LEN,
    hopLimit: 0,
  });
  bytes.fill(0, IPV6_HEADER_LEN, IPV6_HEADER_LEN + P2P_CONTROL_HEADER_LEN);
  bytes[IPV6_HEADER_LEN] = eventType;
  return bytes;
}

const UNSPECIFIED = new Uint8Array(16);
