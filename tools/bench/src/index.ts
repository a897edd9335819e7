export { findRepoRoot, resultsDir, writeBenchResults } from "./results.ts";
export { median } from "./stats.ts";
export { type Cell, formatTable } from "./table.ts";
