import { describe, expect, test } from "bun:test";
import { auditChecksums, mergeAudits } from "@fz/capture";

describe("auditChecksums", () => {
  const frames = [
    { frameNumber: 1, fields: { "ip.checksum.status": ["1", "1"], "icmp.checksum.status": ["1"] } },
    {
      frameNumber: 2,
      fields: { "ip.checksum.status": ["1"], "udp.checksum.status": ["0"], "ip.src": ["x"] },
    },
    { frameNumber: 3, fields: { "icmpv6.checksum.status": ["2"] } },
    { frameNumber: 4, fields: { "tcp.checksum.status": ["0"] } },
  ];

  test("counts good statuses and lists bad and unverified ones of the kept frames only", () => {
    const audit = auditChecksums("s", frames, new Set([1, 2, 3]));
    expect(audit.good).toBe(4);
    expect(audit.bad).toEqual([
      { scenario: "s", frameNumber: 2, field: "udp.checksum.status", status: "0" },
    ]);
    expect(audit.unverified).toEqual([
      { scenario: "s", frameNumber: 3, field: "icmpv6.checksum.status", status: "2" },
    ]);
  });

  test("mergeAudits adds counts and concatenates lists", () => {
    const merged = mergeAudits([
      auditChecksums("a", frames, new Set([1, 2])),
      auditChecksums("b", frames, new Set([3, 4])),
    ]);
    expect(merged.good).toBe(4);
    expect(merged.bad.map((v) => `${v.scenario}${v.frameNumber}`)).toEqual(["a2", "b4"]);
    expect(merged.unverified.map((v) => `${v.scenario}${v.frameNumber}`)).toEqual(["b3"]);
  });
});
