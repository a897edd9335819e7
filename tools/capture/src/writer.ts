/** Writes the two fixture files after checking them against their formats. */
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CaptureContentError } from "./errors.ts";
import {
  DNS_FIXTURE_PATH,
  type DnsCaptureFixture,
  type DnsMessageFixture,
  dnsFixtureProblems,
  FIXTURE_SOURCE,
  formatFixtureJson,
  IP_FIXTURE_PATH,
  type IpCaptureFixture,
  type IpPacketFixture,
  ipFixtureProblems,
  type ToolVersions,
} from "./fixtures.ts";

/** The repository root, three levels above this file (tools/capture/src). */
export const REPO_ROOT = join(import.meta.dir, "..", "..", "..");

/** Writes both fixtures under `root`; returns the absolute paths written. */
export async function writeFixtures(
  toolVersions: ToolVersions,
  packets: readonly IpPacketFixture[],
  messages: readonly DnsMessageFixture[],
  root = REPO_ROOT,
): Promise<string[]> {
  const ip: IpCaptureFixture = { source: FIXTURE_SOURCE, tool_versions: toolVersions, packets };
  const dns: DnsCaptureFixture = { source: FIXTURE_SOURCE, tool_versions: toolVersions, messages };
  const problems = [...ipFixtureProblems(toPlain(ip)), ...dnsFixtureProblems(toPlain(dns))];
  if (problems.length > 0) {
    throw new CaptureContentError(
      `the fixtures would not match their format:\n${problems.join("\n")}`,
    );
  }
  const written: string[] = [];
  for (const [path, fixture] of [
    [IP_FIXTURE_PATH, ip],
    [DNS_FIXTURE_PATH, dns],
  ] as const) {
    const absolute = join(root, path);
    await mkdir(dirname(absolute), { recursive: true });
    await Bun.write(absolute, formatFixtureJson(fixture));
    written.push(absolute);
  }
  return written;
}

function toPlain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}
