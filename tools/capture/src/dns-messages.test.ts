import { describe, expect, test } from "bun:test";
import {
  CaptureContentError,
  type CapturedPacket,
  dnsIdOf,
  dnsMessageFixtures,
  PROTO_TCP,
  PROTO_UDP,
  summarizeIp,
  type TsharkFrame,
} from "@fz/capture";

const be16 = (value: number) => [(value >> 8) & 0xff, value & 0xff];
const be32 = (value: number) => [...be16(value >>> 16), ...be16(value & 0xffff)];
const CLIENT = [198, 18, 0, 1];
const SERVER = [198, 18, 0, 2];
const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

function ipv4(src: number[], dst: number[], protocol: number, upper: number[]): number[] {
  return [
    0x45,
    0,
    ...be16(20 + upper.length),
    0,
    0,
    0x40,
    0,
    64,
    protocol,
    0,
    0,
    ...src,
    ...dst,
    ...upper,
  ];
}

function packet(frameNumber: number, bytes: number[]): CapturedPacket {
  const ip = Uint8Array.from(bytes);
  const summary = summarizeIp(ip);
  if (summary === undefined) throw new Error("test packet does not parse");
  return { frameNumber, ip, summary };
}

function udpPacket(frameNumber: number, toServer: boolean, message: number[]): CapturedPacket {
  const [srcPort, dstPort] = toServer ? [40000, 53] : [53, 40000];
  const udp = [...be16(srcPort), ...be16(dstPort), ...be16(8 + message.length), 0, 0, ...message];
  return packet(
    frameNumber,
    toServer ? ipv4(CLIENT, SERVER, PROTO_UDP, udp) : ipv4(SERVER, CLIENT, PROTO_UDP, udp),
  );
}

function tcpPacket(
  frameNumber: number,
  toServer: boolean,
  seq: number,
  flags: number,
  payload: number[],
  serverPort = 53,
) {
  const [srcPort, dstPort] = toServer ? [41000, serverPort] : [serverPort, 41000];
  const tcp = [
    ...be16(srcPort),
    ...be16(dstPort),
    ...be32(seq),
    0,
    0,
    0,
    0,
    0x50,
    flags,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    ...payload,
  ];
  return packet(
    frameNumber,
    toServer ? ipv4(CLIENT, SERVER, PROTO_TCP, tcp) : ipv4(SERVER, CLIENT, PROTO_TCP, tcp),
  );
}

/** A DNS header with the given id and QR bit, then a few body bytes. */
const message = (id: number, response: boolean, ...body: number[]) => [
  ...be16(id),
  response ? 0x81 : 0x01,
  0x00,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  ...body,
];
const prefixed = (bytes: number[]) => [...be16(bytes.length), ...bytes];
const hex = (bytes: number[]) => Buffer.from(bytes).toString("hex");
const frame = (
  frameNumber: number,
  id: string,
  extra: Record<string, string[]> = {},
): TsharkFrame => ({
  frameNumber,
  fields: { "dns.id": [id], ...extra },
});

describe("dnsMessageFixtures", () => {
  test("takes each UDP datagram as one message, direction from the port, fields from its frame", () => {
    const query = message(0x1234, false, 1);
    const response = message(0x1234, true, 2, 3);
    const fixtures = dnsMessageFixtures(
      "a-record",
      [udpPacket(1, true, query), udpPacket(2, false, response)],
      [
        frame(1, "0x1234", { "dns.flags.response": ["0"] }),
        frame(2, "0x1234", { "dns.flags.response": ["1"] }),
      ],
    );
    expect(fixtures).toEqual([
      {
        scenario: "a-record",
        transport: "udp",
        direction: "query",
        hex: hex(query),
        fields: { "dns.id": ["0x1234"], "dns.flags.response": ["0"] },
      },
      {
        scenario: "a-record",
        transport: "udp",
        direction: "response",
        hex: hex(response),
        fields: { "dns.id": ["0x1234"], "dns.flags.response": ["1"] },
      },
    ]);
  });

  test("splits each TCP direction at the length prefixes and matches tshark's fields by id", () => {
    const q1 = message(0x0001, false, 0xaa);
    const q2 = message(0x0002, false, 0xbb, 0xbb);
    const r1 = message(0x0001, true, 0xcc);
    const r2 = message(0x0002, true, 0xdd);
    const up = [...prefixed(q1), ...prefixed(q2)];
    const down = [...prefixed(r1), ...prefixed(r2)];
    const packets = [
      tcpPacket(1, true, 100, SYN, []),
      tcpPacket(2, false, 900, SYN | ACK, []),
      tcpPacket(3, true, 101, PSH_ACK, up.slice(0, 2)), // q1's prefix alone
      tcpPacket(4, true, 103, PSH_ACK, up.slice(2, 2 + q1.length)),
      tcpPacket(5, false, 901, PSH_ACK, down.slice(0, 2 + r1.length)),
      tcpPacket(6, true, 101 + 2 + q1.length, PSH_ACK, up.slice(2 + q1.length)),
      tcpPacket(7, true, 103, PSH_ACK, up.slice(2, 2 + q1.length)), // retransmission
      tcpPacket(8, false, 901 + 2 + r1.length, PSH_ACK, down.slice(2 + r1.length)),
    ];
    const frames = [
      frame(4, "0x0001", { n: ["q1"] }),
      frame(5, "0x0001", { n: ["r1"] }),
      frame(6, "0x0002", { n: ["q2"] }),
      frame(8, "0x0002", { n: ["r2"] }),
    ];
    const fixtures = dnsMessageFixtures("tcp-keepopen", packets, frames);
    expect(fixtures.map((f) => [f.direction, f.hex, f.fields.n])).toEqual([
      ["query", hex(q1), ["q1"]],
      ["response", hex(r1), ["r1"]],
      ["query", hex(q2), ["q2"]],
      ["response", hex(r2), ["r2"]],
    ]);
    expect(fixtures.every((f) => f.transport === "tcp" && f.scenario === "tcp-keepopen")).toBe(
      true,
    );
    expect(fixtures.map((f) => f.tcp_stream_hex)).toEqual([hex(up), hex(down), hex(up), hex(down)]);
  });

  test("ignores traffic that is not DNS", () => {
    const http = tcpPacket(1, true, 5, PSH_ACK, [0x47, 0x45, 0x54], 80);
    const probe = packet(
      2,
      ipv4(CLIENT, SERVER, PROTO_UDP, [...be16(1), ...be16(9), 0, 9, 0, 0, 0x41]),
    );
    expect(dnsMessageFixtures("http4", [http, probe], [])).toEqual([]);
  });

  test("throws when tshark's DNS id disagrees with the bytes or is missing", () => {
    const query = message(0x1234, false);
    expect(() =>
      dnsMessageFixtures("x", [udpPacket(1, true, query)], [frame(1, "0x9999")]),
    ).toThrow(CaptureContentError);
    expect(() => dnsMessageFixtures("x", [udpPacket(1, true, query)], [])).toThrow(
      "tshark reported undefined",
    );
    const tcp = [tcpPacket(1, true, 0, SYN, []), tcpPacket(2, true, 1, PSH_ACK, prefixed(query))];
    expect(() => dnsMessageFixtures("x", tcp, [frame(2, "0x0001")])).toThrow("message id 0x1234");
  });
});

describe("dnsIdOf", () => {
  test("spells the id as tshark does, with four lowercase hex digits", () => {
    expect(dnsIdOf(Uint8Array.of(0x00, 0x0a, 1))).toBe("0x000a");
    expect(dnsIdOf(Uint8Array.of(0xbe, 0xef))).toBe("0xbeef");
  });
});
