import { describe, expect, test } from "bun:test";
import {
  Device,
  DuplicatePeerError,
  defaultRandom,
  InvalidConfigError,
  nobleX25519,
} from "@fz/wireguard";

const key = () => nobleX25519.generatePrivateKey(defaultRandom);

describe("Device configuration", () => {
  test("bad keys and settings throw InvalidConfigError naming the field", () => {
    const cases: [string, () => unknown][] = [
      ["privateKey", () => new Device({ privateKey: new Uint8Array(31), timeOriginMs: 0 })],
      ["timeOriginMs", () => new Device({ privateKey: key(), timeOriginMs: Number.NaN })],
      ["mtu", () => new Device({ privateKey: key(), timeOriginMs: 0, mtu: 0 })],
      [
        "rejectAfterMessages",
        () => new Device({ privateKey: key(), timeOriginMs: 0, rejectAfterMessages: 2 ** 54 }),
      ],
      [
        "handshakeLoadThreshold",
        () => new Device({ privateKey: key(), timeOriginMs: 0, handshakeLoadThreshold: -1 }),
      ],
    ];
    for (const [field, make] of cases) {
      expect(make).toThrow(InvalidConfigError);
      try {
        make();
      } catch (error) {
        expect(error).toMatchObject({ _tag: "InvalidConfigError", field });
      }
    }
  });

  test("peers: a low-order key, our own key, a short preshared key and a duplicate are refused", () => {
    const device = new Device({ privateKey: key(), timeOriginMs: 0 });
    const publicKey = nobleX25519.publicKey(key());
    expect(() => device.addPeer({ publicKey: new Uint8Array(32) }, 0)).toThrow(InvalidConfigError);
    expect(() => device.addPeer({ publicKey: device.publicKey }, 0)).toThrow(InvalidConfigError);
    expect(() => device.addPeer({ publicKey, presharedKey: new Uint8Array(16) }, 0)).toThrow(
      InvalidConfigError,
    );
    const peer = device.addPeer({ publicKey }, 0);
    expect(() => device.addPeer({ publicKey }, 0)).toThrow(DuplicatePeerError);
    expect(device.peer(publicKey)).toBe(peer);
    expect([...device.peers()]).toEqual([peer]);
    device.removePeer(peer);
    expect([...device.peers()]).toEqual([]);
  });

  test("the public key matches the private key", () => {
    const privateKey = key();
    expect(new Device({ privateKey, timeOriginMs: 0 }).publicKey).toEqual(
      nobleX25519.publicKey(privateKey),
    );
  });
});

describe("Device timers", () => {
  test("the next deadline is a bound kept as timers are set, and is exact again after a due run", () => {
    const device = new Device({ privateKey: key(), timeOriginMs: 0 });
    const peers = [0, 1, 2].map((i) =>
      device.addPeer({ publicKey: nobleX25519.publicKey(key()) }, i),
    );
    const out = new Uint8Array(2048);
    expect(device.pollTimeout()).toBeUndefined();

    peers[1]?.setPersistentKeepalive(25, 1000);
    expect(device.pollTimeout()).toBe(1000);
    device.handleTimeout(999);
    expect(device.pollTransmit(out, 999)).toBeUndefined();

    // Due: the keepalive needs a session, so an initiation goes out and its retry is scheduled.
    device.handleTimeout(1000);
    expect(device.pollTransmit(out, 1000)?.type).toBe("write-to-network");
    const earliest = Math.min(
      ...peers.map((peer) => peer.pollTimeout() ?? Number.POSITIVE_INFINITY),
    );
    expect(earliest).toBeGreaterThan(1000);
    expect(device.pollTimeout()).toBe(earliest);

    // A timer set earlier on another peer lowers the bound at once.
    peers[2]?.initiateHandshake(1500);
    expect(device.pollTimeout()).toBeLessThanOrEqual(peers[2]?.pollTimeout() ?? 0);
  });
});
