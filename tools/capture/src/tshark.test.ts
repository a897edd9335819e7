import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CHECKSUM_PREFERENCES,
  DNS_FIELDS,
  FIELD_SEPARATOR as F,
  IP_FIELDS,
  OCCURRENCE_SEPARATOR as O,
  PER_PACKET_PREFERENCES,
  parseTsharkFields,
  RENAMED_FIELDS,
  runTsharkFields,
  TsharkOutputError,
  tsharkFieldsArgv,
  unknownTsharkFields,
} from "@fz/capture";

describe("parseTsharkFields", () => {
  const fields = ["ip.src", "ip.len", "dns.txt"];

  test("splits frames, fields and occurrences and leaves out fields tshark did not report", () => {
    const stdout = [
      `1${F}198.18.0.1${F}84${F}`,
      `2${F}198.18.0.2${O}198.18.0.1${F}67${O}39${F}a, b; c${O}${O}x`,
      `3${F}${F}${F}`,
      "",
    ].join("\n");
    expect(parseTsharkFields(stdout, fields)).toEqual([
      { frameNumber: 1, fields: { "ip.src": ["198.18.0.1"], "ip.len": ["84"] } },
      {
        frameNumber: 2,
        fields: {
          "ip.src": ["198.18.0.2", "198.18.0.1"],
          "ip.len": ["67", "39"],
          "dns.txt": ["a, b; c", "", "x"],
        },
      },
      { frameNumber: 3, fields: {} },
    ]);
  });

  test("rejects a line with the wrong number of columns or no frame number", () => {
    expect(() => parseTsharkFields(`1${F}a${F}b\n`, fields)).toThrow(TsharkOutputError);
    expect(() => parseTsharkFields(`1${F}a${F}b\n`, fields)).toThrow("expected 4 columns");
    expect(() => parseTsharkFields(`x${F}a${F}b${F}c\n`, fields)).toThrow("frame.number");
  });
});

describe("tsharkFieldsArgv", () => {
  test("asks for every occurrence, the two separators, the preferences and frame.number first", () => {
    const argv = tsharkFieldsArgv("/tmp/a.pcap", ["ip.src"], CHECKSUM_PREFERENCES);
    expect(argv.slice(0, 4)).toEqual(["tshark", "-r", "/tmp/a.pcap", "-n"]);
    expect(argv).toContain("occurrence=a");
    expect(argv).toContain(`separator=${F}`);
    expect(argv).toContain(`aggregator=${O}`);
    expect(argv.join(" ")).toContain(
      "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE",
    );
    expect(argv.slice(-4)).toEqual(["-e", "frame.number", "-e", "ip.src"]);
  });

  test("the field lists use tshark's names for the renamed fields", () => {
    for (const [asked, used] of Object.entries(RENAMED_FIELDS)) {
      expect(IP_FIELDS as readonly string[]).toContain(used);
      expect(IP_FIELDS as readonly string[]).not.toContain(asked);
    }
  });
});

const be16 = (value: number) => [(value >> 8) & 0xff, value & 0xff];

function internetChecksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet frame with a UDP/IPv4 DNS query for example.test A, checksums filled in. */
function dnsQueryFrame(): number[] {
  const name = [
    7,
    ...new TextEncoder().encode("example"),
    4,
    ...new TextEncoder().encode("test"),
    0,
  ];
  const dns = [0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...name, 0, 1, 0, 1];
  const src = [198, 18, 0, 1];
  const dst = [198, 18, 0, 2];
  const udpLength = 8 + dns.length;
  const pseudo = [...src, ...dst, 0, 17, ...be16(udpLength)];
  const udp = [...be16(40000), ...be16(53), ...be16(udpLength), 0, 0, ...dns];
  const udpChecksum = internetChecksum([...pseudo, ...udp]);
  udp[6] = udpChecksum >> 8;
  udp[7] = udpChecksum & 0xff;
  const ip = [0x45, 0, ...be16(20 + udpLength), 0, 1, 0x40, 0, 64, 17, 0, 0, ...src, ...dst];
  const ipChecksum = internetChecksum(ip);
  ip[10] = ipChecksum >> 8;
  ip[11] = ipChecksum & 0xff;
  return [...new Array(6).fill(0x02), ...new Array(6).fill(0x04), 0x08, 0x00, ...ip, ...udp];
}

function pcapOf(frames: number[][]): Uint8Array {
  const out: number[] = [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0,
  ];
  const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
  for (const frame of frames)
    out.push(...le32(1), ...le32(0), ...le32(frame.length), ...le32(frame.length), ...frame);
  return Uint8Array.from(out);
}

describe.skipIf(Bun.which("tshark") === null)("with the real tshark", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("runTsharkFields decodes a pcap into per-frame IP and DNS fields with checksums verified", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fzcap-tshark-test-"));
    dirs.push(dir);
    const path = join(dir, "query.pcap");
    const arp = [
      ...new Array(6).fill(0xff),
      ...new Array(6).fill(0x04),
      0x08,
      0x06,
      ...new Array(28).fill(0),
    ];
    await Bun.write(path, pcapOf([arp, dnsQueryFrame()]));

    const ipFrames = await runTsharkFields(path, IP_FIELDS, [
      ...CHECKSUM_PREFERENCES,
      ...PER_PACKET_PREFERENCES,
    ]);
    expect(ipFrames.map((frame) => frame.frameNumber)).toEqual([1, 2]);
    expect(ipFrames[0]?.fields).toEqual({});
    expect(ipFrames[1]?.fields).toMatchObject({
      "ip.src": ["198.18.0.1"],
      "ip.proto": ["17"],
      "ip.checksum.status": ["1"],
      "udp.srcport": ["40000"],
      "udp.dstport": ["53"],
      "udp.checksum.status": ["1"],
    });
    const dnsFrames = await runTsharkFields(path, DNS_FIELDS, CHECKSUM_PREFERENCES);
    expect(dnsFrames[1]?.fields).toMatchObject({
      "dns.id": ["0xbeef"],
      "dns.flags.response": ["0"],
      "dns.qry.name": ["example.test"],
      "dns.qry.type": ["1"],
    });
  });

  test("unknownTsharkFields names exactly the fields tshark does not know", async () => {
    expect(
      await unknownTsharkFields(["ip.src", "no.such.field", ...IP_FIELDS, ...DNS_FIELDS]),
    ).toEqual(["no.such.field"]);
  });
});
