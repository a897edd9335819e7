import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type CliOutput, runCli } from "firezone";

const haveWg = Bun.which("wg") !== null;

async function run(
  args: string[],
  stdin = "",
): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const io: CliOutput = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    readStdin: async () => stdin,
  };
  const status = await runCli(args, io);
  return { status, out, err };
}

describe("keygen and pubkey", () => {
  test("keygen prints a fresh 44-character key each time", async () => {
    const first = await run(["keygen"]);
    const second = await run(["keygen"]);
    expect(first.status).toBe(0);
    expect(first.out).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(second.out).not.toBe(first.out);
  });

  test("pubkey refuses what is not a key, saying why", async () => {
    const result = await run(["pubkey"], "not a key\n");
    expect(result.status).toBe(1);
    expect(result.err).toContain("firezone pubkey: not a WireGuard key");
  });

  test.skipIf(!haveWg)("keys work both ways with wg genkey / wg pubkey", async () => {
    const ours = (await run(["keygen"])).out;
    const wgPublic = Bun.spawnSync(["wg", "pubkey"], {
      stdin: new TextEncoder().encode(ours),
    }).stdout.toString();
    expect((await run(["pubkey"], ours)).out).toBe(wgPublic);
    const theirs = Bun.spawnSync(["wg", "genkey"]).stdout.toString();
    const theirPublic = Bun.spawnSync(["wg", "pubkey"], {
      stdin: new TextEncoder().encode(theirs),
    }).stdout.toString();
    expect((await run(["pubkey"], theirs)).out).toBe(theirPublic);
  });

  test("the bin reads the key on standard input", () => {
    const root = join(import.meta.dir, "../../..");
    const key = Bun.spawnSync(["bunx", "--no-install", "firezone", "keygen"], { cwd: root }).stdout;
    const pub = Bun.spawnSync(["bunx", "--no-install", "firezone", "pubkey"], {
      cwd: root,
      stdin: key,
    });
    expect(pub.exitCode).toBe(0);
    expect(pub.stdout.toString()).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
  });
});

test("client and gateway need --config and say so", async () => {
  for (const command of ["client", "gateway"]) {
    const result = await run([command]);
    expect(result.status).toBe(64);
    expect(result.err).toBe(
      `firezone ${command}: missing --config FILE; see the README for an example ${command}.toml\n`,
    );
  }
});
