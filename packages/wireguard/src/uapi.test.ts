import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  formatUapiDevice,
  formatUapiErrno,
  parseUapiDevice,
  takeUapiRequest,
  type UapiDevice,
} from "./uapi.ts";

const KEY_A = new Uint8Array(32).map((_, i) => i);
const KEY_B = new Uint8Array(32).fill(0xab);

describe("formatUapiDevice", () => {
  test("writes the lines `wg show` reads, in its order, ending with errno=0 and a blank line", () => {
    const text = formatUapiDevice({
      privateKey: KEY_A,
      listenPort: 51820,
      peers: [
        {
          publicKey: KEY_B,
          endpoint: { address: "fd00:198:18:1::1", port: 51820 },
          lastHandshakeUnixMs: 1_700_000_000_250,
          rxBytes: 2048,
          txBytes: 4096,
          persistentKeepaliveSeconds: 25,
          allowedIps: ["198.19.0.0/24", "fd00:198:19::/64"],
        },
      ],
    });
    expect(text).toBe(
      [
        "private_key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "listen_port=51820",
        `public_key=${"ab".repeat(32)}`,
        "protocol_version=1",
        "endpoint=[fd00:198:18:1::1]:51820",
        "last_handshake_time_sec=1700000000",
        "last_handshake_time_nsec=250000000",
        "tx_bytes=4096",
        "rx_bytes=2048",
        "persistent_keepalive_interval=25",
        "allowed_ip=198.19.0.0/24",
        "allowed_ip=fd00:198:19::/64",
        "errno=0",
        "",
        "",
      ].join("\n"),
    );
  });

  test("a peer never handshaken has time 0 and no endpoint line when it has none", () => {
    const text = formatUapiDevice({
      peers: [
        { publicKey: KEY_B, rxBytes: 0, txBytes: 0, persistentKeepaliveSeconds: 0, allowedIps: [] },
      ],
    });
    expect(text).toContain("last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n");
    expect(text).not.toContain("endpoint=");
    expect(text).not.toContain("private_key=");
  });
});

describe("parseUapiDevice", () => {
  test("reads what wireguard-go answers, skipping keys it does not know", () => {
    const device = parseUapiDevice(
      [
        `private_key=${"01".repeat(32)}`,
        "listen_port=40000",
        "fwmark=0",
        `public_key=${"ab".repeat(32)}`,
        `preshared_key=${"00".repeat(32)}`,
        "protocol_version=1",
        "endpoint=198.18.1.1:51820",
        "last_handshake_time_sec=0",
        "last_handshake_time_nsec=0",
        "tx_bytes=0",
        "rx_bytes=0",
        "persistent_keepalive_interval=0",
        "allowed_ip=10.0.0.0/8",
        "errno=0",
        "",
        "",
      ].join("\n"),
    );
    if ("kind" in device) throw new Error(device.reason);
    expect(device.listenPort).toBe(40000);
    expect(device.peers).toHaveLength(1);
    expect(device.peers[0]?.presharedKey).toBeUndefined();
    expect(device.peers[0]?.endpoint).toEqual({ address: "198.18.1.1", port: 51820 });
    expect(device.peers[0]?.lastHandshakeUnixMs).toBeUndefined();
    expect(device.peers[0]?.allowedIps).toEqual(["10.0.0.0/8"]);
  });

  test("a non-zero errno, a bad key, a bad number or a missing errno is an error naming the line", () => {
    expect(parseUapiDevice(formatUapiErrno(1))).toMatchObject({ line: "errno=1" });
    expect(parseUapiDevice("public_key=xyz\nerrno=0\n\n")).toMatchObject({
      line: "public_key=xyz",
    });
    expect(
      parseUapiDevice(`public_key=${"ab".repeat(32)}\ntx_bytes=-1\nerrno=0\n\n`),
    ).toMatchObject({ line: "tx_bytes=-1", reason: "expected a whole number" });
    expect(parseUapiDevice("listen_port=1\n\n")).toMatchObject({ kind: "uapi-error" });
    expect(parseUapiDevice("no equals sign\n")).toMatchObject({ kind: "uapi-error" });
  });

  test("whatever formatUapiDevice writes, parseUapiDevice reads back the same device", () => {
    const key = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const v4 = fc.ipV4().map((address) => `${address}/${address.endsWith(".0") ? 24 : 32}`);
    const peer = fc.record({
      publicKey: key,
      presharedKey: fc.option(
        key.filter((k) => k.some((b) => b !== 0)),
        { nil: undefined },
      ),
      endpoint: fc.option(
        fc.record({
          address: fc.oneof(fc.ipV4(), fc.constantFrom("fd00::1", "2001:db8::abcd", "::1")),
          port: fc.integer({ min: 1, max: 65535 }),
        }),
        { nil: undefined },
      ),
      lastHandshakeUnixMs: fc.option(
        fc.integer({ min: 1, max: 4_000_000_000 }).map((s) => s * 1000 + 125),
        { nil: undefined },
      ),
      rxBytes: fc.maxSafeNat(),
      txBytes: fc.maxSafeNat(),
      persistentKeepaliveSeconds: fc.integer({ min: 0, max: 65535 }),
      allowedIps: fc.array(v4, { maxLength: 4 }),
    });
    const device = fc.record({
      privateKey: fc.option(key, { nil: undefined }),
      listenPort: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      peers: fc.array(peer, { maxLength: 4 }),
    });
    fc.assert(
      fc.property(device, (written: UapiDevice) => {
        expect(parseUapiDevice(formatUapiDevice(written))).toEqual(written);
      }),
    );
  });
});

describe("takeUapiRequest", () => {
  test("takes one request at a time off a stream, waiting for its blank line", () => {
    expect(takeUapiRequest("get=1\n")).toBeUndefined();
    const first = takeUapiRequest("get=1\n\nset=1\nlisten_port=1\n\n");
    expect(first?.request).toEqual({ operation: "get", lines: [] });
    const second = takeUapiRequest(first?.rest ?? "");
    expect(second?.request).toEqual({ operation: "set", lines: ["listen_port=1"] });
    expect(second?.rest).toBe("");
    expect(takeUapiRequest("hello\n\n")?.request).toMatchObject({ kind: "uapi-error" });
  });
});
