/**
 * Finds the DNS messages in a scenario's packets (UDP datagrams, and TCP streams split at their
 * length prefixes) and gives each the DNS fields tshark reported for it.
 */
import { CaptureContentError } from "./errors.ts";
import type { DnsMessageFixture } from "./fixtures.ts";
import { toHex } from "./fixtures.ts";
import type { CapturedPacket } from "./ip-packets.ts";
import { reassembleTcpDirection, splitLengthPrefixed, type TcpSegment } from "./tcp-stream.ts";
import type { FieldValues, TsharkFrame } from "./tshark.ts";

export const DNS_PORT = 53;

type Direction = "query" | "response";

/** The scenario's DNS messages in the order tshark finished decoding them. */
export function dnsMessageFixtures(
  scenario: string,
  packets: readonly CapturedPacket[],
  frames: readonly TsharkFrame[],
): DnsMessageFixture[] {
  const fieldsByFrame = new Map(frames.map((frame) => [frame.frameNumber, frame.fields]));
  const found: { frameNumber: number; fixture: DnsMessageFixture }[] = [];
  const streams = new Map<string, { direction: Direction; segments: CapturedSegment[] }>();

  for (const packet of packets) {
    const segment = packet.summary.transport;
    if (segment === undefined) continue;
    const direction = directionOf(segment.srcPort, segment.dstPort);
    if (direction === undefined) continue;
    if (segment.protocol === "udp") {
      const fields = fieldsByFrame.get(packet.frameNumber) ?? {};
      const message = segment.payload;
      checkId(scenario, packet.frameNumber, message, fields);
      found.push({
        frameNumber: packet.frameNumber,
        fixture: { scenario, transport: "udp", direction, hex: toHex(message), fields },
      });
      continue;
    }
    const { src, dst } = packet.summary;
    const key = `${src} ${segment.srcPort} > ${dst} ${segment.dstPort}`;
    const stream = streams.get(key) ?? { direction, segments: [] };
    stream.segments.push({ ...segment, frameNumber: packet.frameNumber });
    streams.set(key, stream);
  }

  for (const [key, { direction, segments }] of streams) {
    const stream = reassembleTcpDirection(segments);
    if (stream.byteLength === 0) continue;
    const streamHex = toHex(stream);
    const candidates = segments
      .map((segment) => ({
        frameNumber: segment.frameNumber,
        fields: fieldsByFrame.get(segment.frameNumber) ?? {},
      }))
      .filter((candidate) => candidate.fields["dns.id"] !== undefined);
    for (const { message } of splitLengthPrefixed(stream)) {
      const id = dnsIdOf(message);
      const match = candidates.findIndex(({ fields }) => sameIds(fields["dns.id"], [id]));
      const candidate = candidates[match];
      if (candidate === undefined) {
        throw new CaptureContentError(
          `${scenario}: no frame of TCP stream ${key} has tshark's DNS fields for message id ${id} alone`,
        );
      }
      candidates.splice(match, 1);
      found.push({
        frameNumber: candidate.frameNumber,
        fixture: {
          scenario,
          transport: "tcp",
          direction,
          hex: toHex(message),
          tcp_stream_hex: streamHex,
          fields: candidate.fields,
        },
      });
    }
  }
  return found.sort((a, b) => a.frameNumber - b.frameNumber).map(({ fixture }) => fixture);
}

interface CapturedSegment extends TcpSegment {
  readonly frameNumber: number;
}

/** tshark's spelling of a DNS message id: "0x" and four lowercase hex digits. */
export function dnsIdOf(message: Uint8Array): string {
  const id = ((message[0] ?? 0) << 8) | (message[1] ?? 0);
  return `0x${id.toString(16).padStart(4, "0")}`;
}

function directionOf(srcPort: number, dstPort: number): Direction | undefined {
  if (dstPort === DNS_PORT) return "query";
  if (srcPort === DNS_PORT) return "response";
  return undefined;
}

function checkId(scenario: string, frameNumber: number, message: Uint8Array, fields: FieldValues) {
  if (!sameIds(fields["dns.id"], [dnsIdOf(message)])) {
    throw new CaptureContentError(
      `${scenario}: frame ${frameNumber} holds DNS id ${dnsIdOf(message)} but tshark reported ${JSON.stringify(fields["dns.id"])}`,
    );
  }
}

function sameIds(reported: readonly string[] | undefined, expected: readonly string[]): boolean {
  return (
    reported !== undefined &&
    reported.length === expected.length &&
    reported.every((id, i) => id === expected[i])
  );
}
