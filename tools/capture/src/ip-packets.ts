/** Turns a scenario's pcap and tshark's per-packet fields into IP packet fixtures. */
import { CaptureContentError } from "./errors.ts";
import type { IpPacketFixture } from "./fixtures.ts";
import { toHex } from "./fixtures.ts";
import { type IpSummary, isLinkLayerOnly, summarizeIp, trimToIpLength } from "./ip-summary.ts";
import { ipPacketOfFrame } from "./link-layer.ts";
import type { PcapFile } from "./pcap-reader.ts";
import type { TsharkFrame } from "./tshark.ts";

/** An IP packet of a scenario, with the pcap frame it came from. */
export interface CapturedPacket {
  /** 1-based, as tshark numbers frames. */
  readonly frameNumber: number;
  readonly ip: Uint8Array;
  readonly summary: IpSummary;
}

/**
 * The scenario's IP packets, trimmed to their IP length, without ARP and without neighbour
 * discovery or MLD chatter. Throws on a packet the snaplen cut or that does not parse.
 */
export function capturedPackets(pcap: PcapFile): CapturedPacket[] {
  const packets: CapturedPacket[] = [];
  pcap.records.forEach((record, i) => {
    const frameNumber = i + 1;
    const framed = ipPacketOfFrame(pcap.linkType, record.data);
    if (framed === undefined) return;
    if (record.originalLength !== record.data.byteLength) {
      throw new CaptureContentError(
        `frame ${frameNumber} was cut to ${record.data.byteLength} of ${record.originalLength} bytes: capture with snaplen 0`,
      );
    }
    const ip = trimToIpLength(framed);
    const summary = ip === undefined ? undefined : summarizeIp(ip);
    if (ip === undefined || summary === undefined) {
      throw new CaptureContentError(`frame ${frameNumber} holds an IP packet that does not parse`);
    }
    if (!isLinkLayerOnly(summary)) packets.push({ frameNumber, ip, summary });
  });
  return packets;
}

/** One fixture per captured packet, with the fields tshark reported for its frame. */
export function ipPacketFixtures(
  scenario: string,
  packets: readonly CapturedPacket[],
  frames: readonly TsharkFrame[],
): IpPacketFixture[] {
  const byNumber = new Map(frames.map((frame) => [frame.frameNumber, frame.fields]));
  return packets.map((packet, index) => {
    const fields = byNumber.get(packet.frameNumber);
    if (fields === undefined) {
      throw new CaptureContentError(
        `${scenario}: tshark printed nothing for frame ${packet.frameNumber}`,
      );
    }
    return { scenario, index, hex: toHex(packet.ip), fields };
  });
}
