import { describe, expect, test } from "bun:test";
import { RateLimiter } from "@fz/wireguard";

// wireguard-go's ratelimiter_test.go: each step waits its time plus 1 ns.
const NANOSECOND = 1e-6;
const STEPS: readonly { allowed: boolean; waitMs: number; text: string }[] = [
  ...Array.from({ length: 5 }, () => ({ allowed: true, waitMs: 0, text: "initial burst" })),
  { allowed: false, waitMs: 0, text: "after burst" },
  { allowed: true, waitMs: 50, text: "filling tokens for single packet" },
  { allowed: false, waitMs: 0, text: "not having refilled enough" },
  { allowed: true, waitMs: 100, text: "filling tokens for two packet burst" },
  { allowed: true, waitMs: 0, text: "second packet in 2 packet burst" },
  { allowed: false, waitMs: 0, text: "packet following 2 packet burst" },
];
const ADDRESSES = [
  "127.0.0.1",
  "192.168.1.1",
  "2001:db8:a0b:12f0::1",
  "f5c2:818f:c052:655a:9860:b136:6894:25f0",
];

describe("RateLimiter", () => {
  test("20 a second with a burst of 5, per address (wireguard-go's table)", () => {
    const limiter = new RateLimiter();
    let now = 1_000;
    for (const step of STEPS) {
      now += step.waitMs + NANOSECOND;
      for (const address of ADDRESSES) {
        expect([step.text, address, limiter.allow(address, now)]).toEqual([
          step.text,
          address,
          step.allowed,
        ]);
      }
    }
  });

  test("idle addresses are forgotten after a second", () => {
    const limiter = new RateLimiter();
    limiter.allow("10.0.0.1", 0);
    limiter.allow("10.0.0.2", 900);
    expect(limiter.size).toBe(2);
    limiter.allow("10.0.0.3", 1_500);
    expect(limiter.size).toBe(2);
  });
});
