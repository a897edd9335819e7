import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findRepoRoot, formatTable, median, writeBenchResults } from "@fz/bench";

describe("formatTable", () => {
  test("aligns text left and numbers right under a header and a rule", () => {
    const table = formatTable([
      { impl: "lockfree", ns_per_op: 12.5 },
      { impl: "mutex", ns_per_op: 1234 },
    ]);
    expect(table.split("\n")).toEqual([
      "impl      ns_per_op",
      "--------  ---------",
      "lockfree      12.50",
      "mutex         1,234",
    ]);
  });
});

describe("median", () => {
  test("takes the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("writeBenchResults", () => {
  test("writes the name and the report as JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-bench-"));
    try {
      const path = writeBenchResults("demo", { rows: [{ a: 1 }] }, dir);
      expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ name: "demo", rows: [{ a: 1 }] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("finds the workspace root from inside a package", () => {
    const root = findRepoRoot(import.meta.dir);
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(manifest.workspaces).toContain("packages/*");
  });
});
