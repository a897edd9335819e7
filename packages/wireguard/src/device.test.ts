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
