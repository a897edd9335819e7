import { describe, expect, test } from "bun:test";
import { CookieChecker, CookieGenerator, defaultDiffieHellman, defaultRandom } from "@fz/wireguard";

const responderKey = defaultDiffieHellman.generatePrivateKey(defaultRandom);
const responderPublic = defaultDiffieHellman.publicKey(responderKey);
const SOURCE = new TextEncoder().encode("198.18.0.1:51820");
const OTHER_SOURCE = new TextEncoder().encode("198.18.0.9:51820");

function initiation(): Uint8Array {
  const message = new Uint8Array(148);
  message[0] = 1;
  message.set([0x11, 0x22, 0x33, 0x44], 4);
  defaultRandom(message.subarray(8, 116));
  return message;
}

describe("mac1 and mac2", () => {
  test("mac1 from the generator verifies at the checker; any flipped bit fails it", () => {
    const generator = new CookieGenerator(responderPublic);
    const checker = new CookieChecker(responderPublic, defaultRandom);
    const message = initiation();
    generator.addMacs(message, 0);
    expect(checker.checkMac1(message)).toBe(true);
    for (const at of [0, 40, 115, 116, 131]) {
      const tampered = message.slice();
      tampered[at] = (tampered[at] ?? 0) ^ 0x80;
      expect([at, checker.checkMac1(tampered)]).toEqual([at, false]);
    }
  });

  test("mac1 for another responder's key does not verify", () => {
    const other = defaultDiffieHellman.publicKey(
      defaultDiffieHellman.generatePrivateKey(defaultRandom),
    );
    const message = initiation();
    new CookieGenerator(other).addMacs(message, 0);
    expect(new CookieChecker(responderPublic, defaultRandom).checkMac1(message)).toBe(false);
  });

  test("without a cookie mac2 is zeros; a cookie reply makes the next mac2 verify for that source", () => {
    const generator = new CookieGenerator(responderPublic);
    const checker = new CookieChecker(responderPublic, defaultRandom);
    const first = initiation();
    generator.addMacs(first, 0);
    expect(first.subarray(132).every((b) => b === 0)).toBe(true);
    expect(checker.checkMac2(first, SOURCE, 0)).toBe(false);

    const reply = new Uint8Array(64);
    expect(checker.writeReply(first, SOURCE, reply, 0)).toBe(64);
    expect(Array.from(reply.subarray(0, 8))).toEqual([3, 0, 0, 0, 0x11, 0x22, 0x33, 0x44]);
    expect(generator.consumeReply(reply, 10)).toBe(true);
    expect(generator.hasFreshCookie(10)).toBe(true);

    const second = initiation();
    generator.addMacs(second, 20);
    expect(checker.checkMac1(second)).toBe(true);
    expect(checker.checkMac2(second, SOURCE, 20)).toBe(true);
    expect(checker.checkMac2(second, OTHER_SOURCE, 20)).toBe(false);
  });

  test("a cookie reply only opens against the mac1 of our last message", () => {
    const generator = new CookieGenerator(responderPublic);
    const checker = new CookieChecker(responderPublic, defaultRandom);
    const reply = new Uint8Array(64);
    const sent = initiation();
    generator.addMacs(sent, 0);
    const stranger = initiation();
    new CookieGenerator(responderPublic).addMacs(stranger, 0);
    checker.writeReply(stranger, SOURCE, reply, 0);
    expect(generator.consumeReply(reply, 0)).toBe(false);
    expect(new CookieGenerator(responderPublic).consumeReply(reply, 0)).toBe(false);
  });

  test("cookies go stale after 120 s and the secret rotates after 120 s", () => {
    const generator = new CookieGenerator(responderPublic);
    const checker = new CookieChecker(responderPublic, defaultRandom);
    const first = initiation();
    generator.addMacs(first, 0);
    const reply = new Uint8Array(64);
    checker.writeReply(first, SOURCE, reply, 0);
    generator.consumeReply(reply, 0);

    const fresh = initiation();
    generator.addMacs(fresh, 120_000);
    expect(checker.checkMac2(fresh, SOURCE, 120_000)).toBe(true);
    expect(checker.checkMac2(fresh, SOURCE, 120_001)).toBe(false);

    const stale = initiation();
    generator.addMacs(stale, 120_001);
    expect(stale.subarray(132).every((b) => b === 0)).toBe(true);
    expect(generator.hasFreshCookie(120_001)).toBe(false);

    const again = new Uint8Array(64);
    checker.writeReply(stale, SOURCE, again, 130_000);
    generator.consumeReply(again, 130_000);
    const renewed = initiation();
    generator.addMacs(renewed, 130_000);
    expect(checker.checkMac2(renewed, SOURCE, 130_000)).toBe(true);
    expect(checker.checkMac2(fresh, SOURCE, 130_000)).toBe(false);
  });
});
