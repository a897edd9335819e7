import { describe, expect, test } from "bun:test";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "@fz/tun";

/** A small seeded generator (mulberry32), so a failure names a case that can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 16 bytes whose 16-bit groups are often zero, so runs of zeros of every length occur. */
function randomIpv6(next: () => number): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let group = 0; group < 8; group++) {
    if (next() < 0.5) continue;
    const value = next() < 0.3 ? Math.floor(next() * 16) : Math.floor(next() * 65536);
    bytes[group * 2] = value >> 8;
    bytes[group * 2 + 1] = value & 0xff;
  }
  return bytes;
}

/** What the WHATWG URL parser, an independent implementation, makes of an IPv6 address. */
function urlCanonical(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

describe("parseIpv4", () => {
  test("reads dotted quads", () => {
    expect(parseIpv4("198.18.0.1")).toEqual(Uint8Array.of(198, 18, 0, 1));
    expect(parseIpv4("0.0.0.0")).toEqual(new Uint8Array(4));
    expect(parseIpv4("255.255.255.255")).toEqual(Uint8Array.of(255, 255, 255, 255));
  });

  test("refuses anything else", () => {
    for (const text of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1.2.3.-4",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1..3.4",
      "a.b.c.d",
      "1.2.3.4/32",
    ]) {
      expect({ text, bytes: parseIpv4(text) }).toEqual({ text, bytes: undefined });
    }
  });
});

describe("parseIpv6", () => {
  test("reads full, compressed and mixed forms", () => {
    expect(parseIpv6("::")).toEqual(new Uint8Array(16));
    expect(parseIpv6("::1")).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
    expect(parseIpv6("fd00:198:18::1")).toEqual(
      Uint8Array.of(0xfd, 0, 0x01, 0x98, 0, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    );
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual(
      Uint8Array.of(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8),
    );
    expect(parseIpv6("::ffff:198.18.0.1")).toEqual(
      Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1),
    );
    expect(parseIpv6("1::")).toEqual(Uint8Array.of(0, 1, ...new Array<number>(14).fill(0)));
    expect(parseIpv6("1:2:3:4:5:6:7::")).toEqual(
      Uint8Array.of(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0),
    );
    expect(parseIpv6("::2:3:4:5:6:7:8")).toEqual(
      Uint8Array.of(0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8),
    );
    expect(parseIpv6("FD00::ABCD")).toEqual(parseIpv6("fd00::abcd"));
  });

  test("refuses malformed text and zones", () => {
    for (const text of [
      "",
      ":",
      ":::",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8::",
      "1::2::3",
      ":1::2",
      "1::2:",
      "12345::",
      "g::1",
      "fe80::1%eth0",
      "1.2.3.4::",
      "::1.2.3",
      "::1.2.3.4:5",
      "198.18.0.1",
    ]) {
      expect({ text, bytes: parseIpv6(text) }).toEqual({ text, bytes: undefined });
    }
  });

  test("reads back every address it formats, and long forms with leading zeros and upper case", () => {
    const next = random(0x5eed);
    for (let i = 0; i < 2000; i++) {
      const bytes = randomIpv6(next);
      expect(parseIpv6(formatIpv6(bytes))).toEqual(bytes);
      const long = Array.from({ length: 8 }, (_, group) =>
        (((bytes[group * 2] ?? 0) << 8) | (bytes[group * 2 + 1] ?? 0))
          .toString(16)
          .padStart(4, "0")
          .toUpperCase(),
      ).join(":");
      expect(parseIpv6(long)).toEqual(bytes);
    }
  });
});

describe("formatIpv6", () => {
  test("writes RFC 5952 text", () => {
    const text = (source: string) => formatIpv6(parseIpv6(source) ?? new Uint8Array(16));
    expect(text("0:0:0:0:0:0:0:0")).toBe("::");
    expect(text("0:0:0:0:0:0:0:1")).toBe("::1");
    expect(text("fd00:0198:0018:0:0:0:0:0001")).toBe("fd00:198:18::1");
    // One zero group is not compressed; of two equal runs the first is.
    expect(text("1:0:2:3:4:5:6:7")).toBe("1:0:2:3:4:5:6:7");
    expect(text("1:0:0:2:0:0:3:4")).toBe("1::2:0:0:3:4");
    expect(text("1:0:0:2:0:0:0:4")).toBe("1:0:0:2::4");
    expect(text("1:2:3:4:5:6:7:0")).toBe("1:2:3:4:5:6:7:0");
  });

  test("agrees with the WHATWG URL parser on random addresses", () => {
    const next = random(0xf00d);
    for (let i = 0; i < 2000; i++) {
      const formatted = formatIpv6(randomIpv6(next));
      expect(urlCanonical(formatted)).toBe(formatted);
    }
  });

  test("formatIpv4 writes dotted quads from an offset", () => {
    expect(formatIpv4(Uint8Array.of(9, 198, 18, 0, 1), 1)).toBe("198.18.0.1");
  });
});
