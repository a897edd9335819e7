import { describe, expect, test } from "bun:test";
import { MAX_COUNTER, REPLAY_WINDOW_SIZE, ReplayWindow } from "@fz/wireguard";
import fc from "fast-check";

// wireguard-go's replay_test.go (after the kernel's selftest), with the limit moved from
// REJECT_AFTER_MESSAGES (2^64 - 2^13 - 1) to MAX_COUNTER (2^53), where counters are numbers.
// The device refuses counters at or past the limit before the window sees them (timers.test.ts,
// "message limits"), so the cases at LIMIT and above are left out here.
const LIMIT = MAX_COUNTER;
const T_LIM = REPLAY_WINDOW_SIZE + 1;

function checker() {
  const window = new ReplayWindow();
  return (counter: number, expected: boolean) =>
    expect([counter, window.check(counter)]).toEqual([counter, expected]);
}

describe("ReplayWindow", () => {
  test("the window is 8128 counters", () => {
    expect(REPLAY_WINDOW_SIZE).toBe(8128);
  });

  test("wireguard-go's 34 sequential cases", () => {
    const T = checker();
    T(0, true);
    T(1, true);
    T(1, false);
    T(9, true);
    T(8, true);
    T(7, true);
    T(7, false);
    T(T_LIM, true);
    T(T_LIM - 1, true);
    T(T_LIM - 1, false);
    T(T_LIM - 2, true);
    T(2, true);
    T(2, false);
    T(T_LIM + 16, true);
    T(3, false);
    T(T_LIM + 16, false);
    T(T_LIM * 4, true);
    T(T_LIM * 4 - (T_LIM - 1), true);
    T(10, false);
    T(T_LIM * 4 - T_LIM, false);
    T(T_LIM * 4 - (T_LIM + 1), false);
    T(T_LIM * 4 - (T_LIM - 2), true);
    T(T_LIM * 4 + 1 - T_LIM, false);
    T(0, false);
    T(LIMIT - 1, true);
    T(LIMIT - 1, false);
    T(LIMIT - 2, true);
    T(LIMIT - 2, false);
    T(LIMIT - 3, true);
    T(0, false);
  });

  test("bulk 1: 1..window, then 0 once", () => {
    const T = checker();
    for (let i = 1; i <= REPLAY_WINDOW_SIZE; i++) T(i, true);
    T(0, true);
    T(0, false);
  });

  test("bulk 2: 2..window+1, then 1 once, 0 too old", () => {
    const T = checker();
    for (let i = 2; i <= REPLAY_WINDOW_SIZE + 1; i++) T(i, true);
    T(1, true);
    T(0, false);
  });

  test("bulk 3: window+1 down to 1", () => {
    const T = checker();
    for (let i = REPLAY_WINDOW_SIZE + 1; i > 0; i--) T(i, true);
  });

  test("bulk 4: window+2 down to 2, then 0 too old", () => {
    const T = checker();
    for (let i = REPLAY_WINDOW_SIZE + 2; i > 1; i--) T(i, true);
    T(0, false);
  });

  test("bulk 5: window down to 1, then window+1, then 0 too old", () => {
    const T = checker();
    for (let i = REPLAY_WINDOW_SIZE; i > 0; i--) T(i, true);
    T(REPLAY_WINDOW_SIZE + 1, true);
    T(0, false);
  });

  test("bulk 6: window down to 1, then 0, then window+1", () => {
    const T = checker();
    for (let i = REPLAY_WINDOW_SIZE; i > 0; i--) T(i, true);
    T(0, true);
    T(REPLAY_WINDOW_SIZE + 1, true);
  });

  test("agrees with a set-based model on random counter sequences", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(0), fc.constant(LIMIT - 30_000)),
        fc.array(fc.integer({ min: -9_000, max: 9_000 }), { maxLength: 400 }),
        (start, steps) => {
          let position = start;
          const counters = steps.map((step) => {
            position = Math.min(LIMIT - 1, Math.max(0, position + step));
            return position;
          });
          const window = new ReplayWindow();
          const seen = new Set<number>();
          let highest = -1;
          for (const counter of counters) {
            const accepted = window.check(counter);
            const expected =
              !seen.has(counter) && (counter > highest || highest - counter <= REPLAY_WINDOW_SIZE);
            expect([counter, accepted]).toEqual([counter, expected]);
            if (accepted) {
              seen.add(counter);
              highest = Math.max(highest, counter);
            }
          }
        },
      ),
    );
  });
});
