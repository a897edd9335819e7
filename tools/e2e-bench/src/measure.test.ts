import { expect, test } from "bun:test";
import {
  cpuSeconds,
  parseCpuSeconds,
  parseIperfJson,
  parsePingAverage,
  peakRssKb,
} from "./measure.ts";

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

test("CPU seconds are utime + stime of /proc/PID/stat, whatever the command name holds", () => {
  const fields = ["S", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "250", "75", "0", "0"];
  expect(parseCpuSeconds(`4242 (bun) ${fields.join(" ")}`)).toBe(3.25);
  expect(parseCpuSeconds(`4242 (a (b) c) ${fields.join(" ")}`)).toBe(3.25);
  expect(parseCpuSeconds("4242 (bun) S 1")).toBeUndefined();
});

test("a busy process's CPU seconds grow; a missing one has none", () => {
  const before = cpuSeconds(process.pid) ?? Number.NaN;
  // Spin until the kernel has charged this process 50 ms more (however busy the machine is),
  // giving up after 20 s of wall time.
  const giveUpAt = performance.now() + 20_000;
  let used = 0;
  while (used < 0.05 && performance.now() < giveUpAt) {
    used = (cpuSeconds(process.pid) ?? Number.NaN) - before;
  }
  expect(used).toBeGreaterThanOrEqual(0.05);
  expect(cpuSeconds(2 ** 22 + 12345)).toBeUndefined();
});
