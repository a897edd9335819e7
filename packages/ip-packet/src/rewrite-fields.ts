import { readU16, readU32, writeU16, writeU32 } from "./bytes.ts";
import { Icmpv4Type } from "./icmpv4.ts";
import { Icmpv6Type } from "./icmpv6.ts";
import {
  applyChecksumDelta,
  applyUdpChecksumDelta,
  u32Delta,
  wordDelta,
} from "./incremental-checksum.ts";
import type { IpAddress, IpPacket } from "./ip-packet.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { IPV4_FIELD, Ipv4Packet } from "./ipv4.ts";
import { IPV6_FIELD } from "./ipv6.ts";
import { type WireError, wireError } from "./wire-error.ts";

/** Which address a rewrite replaces. */
export const AddressSlot = { None: 0, Source: 1, Destination: 2 } as const;
export type AddressSlot = (typeof AddressSlot)[keyof typeof AddressSlot];

/** Which port a rewrite replaces; an ICMP echo identifier stands for either port. */
export const PortSlot = { None: 0, Source: 1, Destination: 2, EchoIdOnly: 3 } as const;
export type PortSlot = (typeof PortSlot)[keyof typeof PortSlot];

/**
 * Replaces an address and/or a port (TCP, UDP) or echo identifier (ICMP, ICMPv6) in place and
 * patches every checksum that covers them incrementally: the IPv4 header checksum, and the
 * transport checksum when it covers the pseudo-header (TCP, UDP, UDP-Lite, DCCP, ICMPv6) or the
 * port. Validates everything before it writes anything, so an error leaves the packet untouched.
 *
 * `embedded` is for the prefix an ICMP error carries: a transport checksum cut off by the
 * truncation is skipped instead of refused. Returns the delta of every 16-bit word changed, for
 * the checksum of an enclosing ICMP message.
 */
export function rewriteFields(
  packet: IpPacket,
  addressSlot: AddressSlot,
  address: IpAddress | undefined,
  portSlot: PortSlot,
  port: number,
  embedded: boolean,
): number | WireError {
  // One dispatch on the class and the address type, then functions that each see one type:
  // a body shared by both families slowed IPv4 rewrites from 25 to 53 ns once IPv6 ones ran.
  const changesAddress = addressSlot !== AddressSlot.None;
  if (packet instanceof Ipv4Packet) {
    if (changesAddress && typeof address !== "number") return wireError("address-family");
    const bytes = packet.bytes;
    const error = plan(
      bytes,
      4,
      ((bytes[IPV4_FIELD.VERSION_IHL] ?? 0) & 0x0f) * 4,
      bytes[IPV4_FIELD.PROTOCOL] ?? 0,
      (readU16(bytes, IPV4_FIELD.FLAGS_FRAGMENT) & 0x1fff) === 0,
      changesAddress,
      portSlot,
      embedded,
    );
    if (error !== undefined) return error;
    let addressDelta = 0;
    let changed = 0;
    if (typeof address === "number") {
      const written = writeIpv4Address(bytes, addressSlot === AddressSlot.Source, address);
      addressDelta = written.address;
      changed = written.changed;
    }
    const whole = readU16(bytes, IPV4_FIELD.TOTAL_LEN) <= bytes.length;
    return changed + patchTransport(bytes, addressDelta, port, whole);
  }
  if (changesAddress && !(address instanceof Uint8Array && address.length === 16)) {
    return wireError("address-family");
  }
  const bytes = packet.bytes;
  const error = plan(
    bytes,
    6,
    packet.headerLen,
    packet.protocol,
    packet.hasTransportHeader,
    changesAddress,
    portSlot,
    embedded,
  );
  if (error !== undefined) return error;
  const source = addressSlot === AddressSlot.Source;
  const delta = address instanceof Uint8Array ? writeIpv6Address(bytes, source, address) : 0;
  return delta + patchTransport(bytes, delta, port, false);
}

/** Where the transport fields to patch are; filled by `plan`, read by `patchTransport`. */
const transport = {
  start: 0,
  checksumAt: -1,
  portAt: -1,
  pseudo: false,
  udp: false,
  icmpv4: false,
  changes: false,
};

/** Validates a rewrite and locates the port and checksum it touches; writes nothing. */
function plan(
  bytes: Uint8Array,
  version: 4 | 6,
  start: number,
  protocol: number,
  hasTransport: boolean,
  changesAddress: boolean,
  portSlot: PortSlot,
  embedded: boolean,
): WireError | undefined {
  const v4 = version === 4;
  const available = bytes.length - start;
  let checksumAt = -1;
  let minLen = 8;
  let pseudo = false;
  let udp = false;
  let portAt = -1;
  if (hasTransport) {
    switch (protocol) {
      case IpProtocol.Tcp:
        checksumAt = start + 16;
        minLen = 20;
        pseudo = true;
        if (portSlot === PortSlot.Source) portAt = start;
        else if (portSlot === PortSlot.Destination) portAt = start + 2;
        break;
      case IpProtocol.Udp:
        checksumAt = start + 6;
        pseudo = true;
        udp = true;
        if (portSlot === PortSlot.Source) portAt = start;
        else if (portSlot === PortSlot.Destination) portAt = start + 2;
        break;
      case IpProtocol.UdpLite:
      case IpProtocol.Dccp:
        checksumAt = start + 6;
        pseudo = true;
        break;
      case IpProtocol.Icmp:
        if (!v4) break;
        checksumAt = start + 2;
        if (portSlot !== PortSlot.None && available > 0 && isEchoAt(bytes, start, 4)) {
          portAt = start + 4;
        }
        break;
      case IpProtocol.Icmpv6:
        if (v4) break;
        checksumAt = start + 2;
        pseudo = true;
        if (portSlot !== PortSlot.None && available > 0 && isEchoAt(bytes, start, 6)) {
          portAt = start + 4;
        }
        break;
    }
  }

  if (portSlot !== PortSlot.None && portAt < 0) {
    if (!hasTransport) return wireError("not-first-fragment");
    if (available < 1) return wireError("truncated");
    return wireError("unsupported-protocol");
  }
  if (portAt >= 0 && portAt + 2 > bytes.length) return wireError("truncated");
  const changes = portAt >= 0 || (pseudo && changesAddress);
  if (checksumAt >= 0 && changes) {
    if (embedded) {
      if (checksumAt + 2 > bytes.length) checksumAt = -1;
    } else if (available < minLen) {
      return wireError("truncated");
    }
  }
  transport.start = start;
  transport.checksumAt = checksumAt;
  transport.portAt = portAt;
  transport.pseudo = pseudo;
  transport.udp = udp;
  transport.icmpv4 = v4 && protocol === IpProtocol.Icmp;
  transport.changes = changes;
  return undefined;
}

const ipv4Delta = { address: 0, changed: 0 };

/** Writes an IPv4 address and patches the header checksum; returns the address delta and all changed words. */
function writeIpv4Address(bytes: Uint8Array, source: boolean, address: number): typeof ipv4Delta {
  const at = source ? IPV4_FIELD.SRC : IPV4_FIELD.DST;
  const delta = u32Delta(readU32(bytes, at), address);
  writeU32(bytes, at, address);
  const oldChecksum = readU16(bytes, IPV4_FIELD.CHECKSUM);
  const newChecksum = applyChecksumDelta(oldChecksum, delta);
  writeU16(bytes, IPV4_FIELD.CHECKSUM, newChecksum);
  ipv4Delta.address = delta;
  ipv4Delta.changed = delta + wordDelta(oldChecksum, newChecksum);
  return ipv4Delta;
}

/** Writes an IPv6 address, copying and summing in one pass; returns the delta. */
function writeIpv6Address(bytes: Uint8Array, source: boolean, address: Uint8Array): number {
  const at = source ? IPV6_FIELD.SRC : IPV6_FIELD.DST;
  let delta = 0;
  for (let i = 0; i < 16; i += 2) {
    const high = address[i] ?? 0;
    const low = address[i + 1] ?? 0;
    delta += (~readU16(bytes, at + i) & 0xffff) + ((high << 8) | low);
    bytes[at + i] = high;
    bytes[at + i + 1] = low;
  }
  return delta;
}

/** Writes the planned port and patches the transport checksum; returns the changed words' delta. */
function patchTransport(
  bytes: Uint8Array,
  addressDelta: number,
  port: number,
  whole: boolean,
): number {
  let changed = 0;
  let delta = transport.pseudo ? addressDelta : 0;
  const portAt = transport.portAt;
  if (portAt >= 0) {
    const portDelta = wordDelta(readU16(bytes, portAt), port);
    writeU16(bytes, portAt, port);
    delta += portDelta;
    changed += portDelta;
  }
  const checksumAt = transport.checksumAt;
  if (checksumAt >= 0 && transport.changes) {
    const oldChecksum = readU16(bytes, checksumAt);
    let newChecksum = transport.udp
      ? applyUdpChecksumDelta(oldChecksum, delta)
      : applyChecksumDelta(oldChecksum, delta);
    // Only an ICMPv4 message can be all zeros (no pseudo-header); its checksum is then 0xFFFF.
    if (
      newChecksum === 0 &&
      transport.icmpv4 &&
      whole &&
      isAllZero(bytes, transport.start, checksumAt)
    ) {
      newChecksum = 0xffff;
    }
    writeU16(bytes, checksumAt, newChecksum);
    changed += wordDelta(oldChecksum, newChecksum);
  }
  return changed;
}

function isEchoAt(bytes: Uint8Array, start: number, version: 4 | 6): boolean {
  const type = bytes[start];
  return version === 4
    ? type === Icmpv4Type.EchoRequest || type === Icmpv4Type.EchoReply
    : type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply;
}

function isAllZero(bytes: Uint8Array, start: number, skip: number): boolean {
  for (let i = start; i < bytes.length; i++) {
    if (bytes[i] !== 0 && i !== skip && i !== skip + 1) return false;
  }
  return true;
}
