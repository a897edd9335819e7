import { describe, expect, test } from "bun:test";
import {
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  ipPacketOfFrame,
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  UnsupportedLinkTypeError,
} from "@fz/capture";

const ipv4 = [0x45, 0x00, 0x00, 0x14, ...new Array(16).fill(0xab)];
const ipv6 = [0x60, ...new Array(39).fill(0xcd)];
const macs = [...new Array(6).fill(0x11), ...new Array(6).fill(0x22)];
const be16 = (value: number) => [value >> 8, value & 0xff];
const vlanTag = (tpid: number, id: number) => [...be16(tpid), ...be16(id)];

function ethernet(etherType: number, payload: number[], tags: number[] = []): Uint8Array {
  return Uint8Array.from([...macs, ...tags, ...be16(etherType), ...payload]);
}

function sll(protocol: number, payload: number[]): Uint8Array {
  // packet type, ARPHRD_ETHER, address length 6, address padded to 8, protocol
  return Uint8Array.from([
    0,
    0,
    0,
    1,
    0,
    6,
    ...new Array(6).fill(0x33),
    0,
    0,
    ...be16(protocol),
    ...payload,
  ]);
}

function sll2(protocol: number, payload: number[]): Uint8Array {
  // protocol, reserved, interface index 7, ARPHRD_ETHER, packet type, address length, address
  return Uint8Array.from([
    ...be16(protocol),
    0,
    0,
    0,
    0,
    0,
    7,
    0,
    1,
    4,
    6,
    ...new Array(8).fill(0x44),
    ...payload,
  ]);
}

describe("ipPacketOfFrame", () => {
  test("strips the Ethernet header from IPv4 and IPv6 frames", () => {
    expect([...(ipPacketOfFrame(LINKTYPE_ETHERNET, ethernet(ETHERTYPE_IPV4, ipv4)) ?? [])]).toEqual(
      ipv4,
    );
    expect([...(ipPacketOfFrame(LINKTYPE_ETHERNET, ethernet(ETHERTYPE_IPV6, ipv6)) ?? [])]).toEqual(
      ipv6,
    );
  });

  test("skips one 802.1Q tag and stacked 802.1ad + 802.1Q tags", () => {
    const tagged = ethernet(ETHERTYPE_IPV4, ipv4, vlanTag(ETHERTYPE_VLAN, 42));
    expect([...(ipPacketOfFrame(LINKTYPE_ETHERNET, tagged) ?? [])]).toEqual(ipv4);
    const stacked = ethernet(ETHERTYPE_IPV6, ipv6, [
      ...vlanTag(ETHERTYPE_QINQ, 100),
      ...vlanTag(ETHERTYPE_VLAN, 42),
    ]);
    expect([...(ipPacketOfFrame(LINKTYPE_ETHERNET, stacked) ?? [])]).toEqual(ipv6);
  });

  test("returns undefined for ARP, for a tagged ARP frame and for frames too short for their header", () => {
    expect(
      ipPacketOfFrame(LINKTYPE_ETHERNET, ethernet(ETHERTYPE_ARP, new Array(28).fill(0))),
    ).toBeUndefined();
    const taggedArp = ethernet(ETHERTYPE_ARP, new Array(28).fill(0), vlanTag(ETHERTYPE_VLAN, 1));
    expect(ipPacketOfFrame(LINKTYPE_ETHERNET, taggedArp)).toBeUndefined();
    expect(ipPacketOfFrame(LINKTYPE_ETHERNET, Uint8Array.from(macs))).toBeUndefined();
    expect(
      ipPacketOfFrame(LINKTYPE_ETHERNET, Uint8Array.from([...macs, ...be16(ETHERTYPE_VLAN), 0])),
    ).toBeUndefined();
    expect(ipPacketOfFrame(LINKTYPE_LINUX_SLL2, new Uint8Array(19))).toBeUndefined();
  });

  test("strips the Linux cooked headers (SLL and SLL2), with and without a VLAN tag", () => {
    expect([...(ipPacketOfFrame(LINKTYPE_LINUX_SLL, sll(ETHERTYPE_IPV4, ipv4)) ?? [])]).toEqual(
      ipv4,
    );
    expect([...(ipPacketOfFrame(LINKTYPE_LINUX_SLL2, sll2(ETHERTYPE_IPV6, ipv6)) ?? [])]).toEqual(
      ipv6,
    );
    const sllTagged = sll(ETHERTYPE_VLAN, [...be16(42), ...be16(ETHERTYPE_IPV6), ...ipv6]);
    expect([...(ipPacketOfFrame(LINKTYPE_LINUX_SLL, sllTagged) ?? [])]).toEqual(ipv6);
    const sll2Tagged = sll2(ETHERTYPE_VLAN, [...be16(42), ...be16(ETHERTYPE_IPV4), ...ipv4]);
    expect([...(ipPacketOfFrame(LINKTYPE_LINUX_SLL2, sll2Tagged) ?? [])]).toEqual(ipv4);
    expect(ipPacketOfFrame(LINKTYPE_LINUX_SLL2, sll2(ETHERTYPE_ARP, [0, 1]))).toBeUndefined();
  });

  test("returns a view into the frame", () => {
    const frame = ethernet(ETHERTYPE_IPV4, ipv4);
    const packet = ipPacketOfFrame(LINKTYPE_ETHERNET, frame);
    expect(packet?.buffer).toBe(frame.buffer);
    expect(packet?.byteOffset).toBe(14);
  });

  test("rejects link types other than Ethernet, SLL and SLL2 with an error that names them", () => {
    expect(() => ipPacketOfFrame(101, Uint8Array.from(ipv4))).toThrow(UnsupportedLinkTypeError);
    expect(() => ipPacketOfFrame(101, Uint8Array.from(ipv4))).toThrow(
      "pcap link type 101 is not supported",
    );
  });
});
