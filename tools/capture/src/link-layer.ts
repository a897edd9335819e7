/**
 * Strips link-layer headers from captured frames down to the IP packet, for the link types
 * tcpdump writes on Linux: Ethernet (with any number of 802.1Q/802.1ad tags) and the two
 * "cooked" headers of `-i any`.
 */
import { UnsupportedLinkTypeError } from "./errors.ts";

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_LINUX_SLL2 = 276;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_LEGACY = 0x9100;

const ETHERNET_HEADER_BYTES = 14;
const SLL_HEADER_BYTES = 16;
const SLL2_HEADER_BYTES = 20;
const VLAN_TAG_BYTES = 4;

/**
 * Returns the IP packet inside a frame (a view, not a copy), or undefined for a frame that
 * carries something else (ARP, LLDP, ...) or is too short to hold its link header.
 */
export function ipPacketOfFrame(linkType: number, frame: Uint8Array): Uint8Array | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return afterEtherType(frame, ETHERNET_HEADER_BYTES - 2);
    case LINKTYPE_LINUX_SLL:
      return afterEtherType(frame, SLL_HEADER_BYTES - 2);
    case LINKTYPE_LINUX_SLL2:
      return frame.byteLength < SLL2_HEADER_BYTES
        ? undefined
        : ipPayload(frame, readUint16(frame, 0), SLL2_HEADER_BYTES);
    default:
      throw new UnsupportedLinkTypeError(linkType);
  }
}

function afterEtherType(frame: Uint8Array, etherTypeOffset: number): Uint8Array | undefined {
  let offset = etherTypeOffset;
  if (frame.byteLength < offset + 2) return undefined;
  let etherType = readUint16(frame, offset);
  while (isVlanTag(etherType)) {
    offset += VLAN_TAG_BYTES;
    if (frame.byteLength < offset + 2) return undefined;
    etherType = readUint16(frame, offset);
  }
  return ipPayload(frame, etherType, offset + 2);
}

function ipPayload(frame: Uint8Array, etherType: number, start: number): Uint8Array | undefined {
  if (isVlanTag(etherType)) return afterEtherType(frame, start + 2);
  if (etherType !== ETHERTYPE_IPV4 && etherType !== ETHERTYPE_IPV6) return undefined;
  return frame.subarray(start);
}

function isVlanTag(etherType: number): boolean {
  return (
    etherType === ETHERTYPE_VLAN ||
    etherType === ETHERTYPE_QINQ ||
    etherType === ETHERTYPE_QINQ_LEGACY
  );
}

function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}
