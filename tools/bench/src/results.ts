import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** The workspace root: the nearest directory at or above `from` whose package.json has workspaces. */
export function findRepoRoot(from: string = process.cwd()): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"));
      if (typeof parsed === "object" && parsed !== null && "workspaces" in parsed) return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`no workspace root (package.json with workspaces) above ${from}`);
    dir = parent;
  }
}

/** Where benchmarks write their JSON: `$BENCH_RESULTS_DIR`, or bench-results/ at the repo root. */
export function resultsDir(): string {
  return process.env.BENCH_RESULTS_DIR ?? join(findRepoRoot(), "bench-results");
}

/** Writes `<dir>/<name>.json` with `{ name, ...report }` and returns the path. */
export function writeBenchResults(
  name: string,
  report: Record<string, unknown>,
  dir: string = resultsDir(),
): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ name, ...report }, null, 2)}\n`);
  return path;
}
