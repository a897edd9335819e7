import { expect, test } from "bun:test";
import { parseIperfJson, parsePingAverage, peakRssKb } from "./measure.ts";

test("iperf3 JSON gives receiver Mbit/s and sender retransmits", () => {
  const json = JSON.stringify({
    end: { sum_received: { bits_per_second: 345_600_000 }, sum_sent: { retransmits: 7 } },
  });
  expect(parseIperfJson(json)).toEqual({ mbps: 345.6, retransmits: 7 });
  expect(() => parseIperfJson(JSON.stringify({ error: "unable to connect" }))).toThrow(
    "iperf3: unable to connect",
  );
});

test("ping's summary gives the average RTT", () => {
  const text =
    "50 packets transmitted, 50 received, 0% packet loss, time 9800ms\nrtt min/avg/max/mdev = 0.512/1.034/2.310/0.201 ms\n";
  expect(parsePingAverage(text)).toBe(1.034);
  expect(() => parsePingAverage("100% packet loss")).toThrow("no RTT summary");
});

test("peak RSS comes from /proc", async () => {
  expect(await peakRssKb(process.pid)).toBeGreaterThan(1000);
  expect(await peakRssKb(2 ** 22 + 12345)).toBeUndefined();
});
