import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeKey } from "@fz/wireguard/keys";
import { formatUapiDevice, type UapiDevice } from "@fz/wireguard/uapi";
import { runCli } from "./cli.ts";
import { describeDevice, status } from "./status.ts";

const PRIVATE = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const PEER_A = new Uint8Array(32).fill(0xaa);
const PEER_B = new Uint8Array(32).fill(0xbb);
const NOW = 1_700_000_100_000;

const DEVICE: UapiDevice = {
  privateKey: PRIVATE,
  listenPort: 51820,
  peers: [
    {
      publicKey: PEER_A,
      rxBytes: 0,
      txBytes: 0,
      persistentKeepaliveSeconds: 0,
      allowedIps: ["100.64.0.3/32"],
    },
    {
      publicKey: PEER_B,
      presharedKey: new Uint8Array(32).fill(1),
      endpoint: { address: "fd00:198:18:1::2", port: 40000 },
      lastHandshakeUnixMs: NOW - 65_000,
      rxBytes: 1536,
      txBytes: 3 * 1024 * 1024,
      persistentKeepaliveSeconds: 25,
      allowedIps: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
    },
  ],
};

function collector() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A status socket answering `answer` to every request, as a running tunnel would. */
function fakeTunnel(answer: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fz-status-"));
  const listener = Bun.listen({
    unix: join(dir, "tun-firezone.sock"),
    socket: {
      data(socket) {
        if (answer !== "") socket.write(answer);
      },
    },
  });
  cleanups.push(() => {
    listener.stop(true);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

describe("describeDevice", () => {
  test("reads as wg show: newest handshake first, readable times and sizes, no secrets", () => {
    const text = describeDevice("tun-firezone", DEVICE, NOW);
    const lines = text.split("\n");
    expect(lines[0]).toBe("interface: tun-firezone");
    expect(lines[1]).toMatch(/^ {2}public key: [A-Za-z0-9+/]{43}=$/);
    expect(lines.slice(2)).toEqual([
      "  private key: (hidden)",
      "  listening port: 51820",
      "",
      `peer: ${encodeKey(PEER_B)}`,
      "  preshared key: (hidden)",
      "  endpoint: [fd00:198:18:1::2]:40000",
      "  allowed ips: 100.64.0.2/32, fd00:2021:1111::2/128",
      "  latest handshake: 1 minute, 5 seconds ago",
      "  transfer: 1.50 KiB received, 3.00 MiB sent",
      "  persistent keepalive: every 25 seconds",
      "",
      `peer: ${encodeKey(PEER_A)}`,
      "  allowed ips: 100.64.0.3/32",
      "",
    ]);
    expect(text).not.toContain(encodeKey(PRIVATE));
  });
});

describe("firezone status", () => {
  test("prints what the tunnel's socket answers", async () => {
    const dir = fakeTunnel(formatUapiDevice(DEVICE));
    const run = collector();
    expect(await runCli(["status", "--socket-dir", dir], run.io)).toBe(0);
    expect(run.out()).toContain(`peer: ${encodeKey(PEER_B)}`);
    expect(run.out()).toContain("transfer: 1.50 KiB received, 3.00 MiB sent");
  });

  test("--json gives the same facts for scripts, with the handshake as a time", async () => {
    const dir = fakeTunnel(formatUapiDevice(DEVICE));
    const run = collector();
    expect(await runCli(["status", "--socket-dir", dir, "--json"], run.io)).toBe(0);
    const json = JSON.parse(run.out());
    expect(json.listenPort).toBe(51820);
    expect(json.peers[1]).toEqual({
      publicKey: encodeKey(PEER_B),
      endpoint: "[fd00:198:18:1::2]:40000",
      allowedIps: ["100.64.0.2/32", "fd00:2021:1111::2/128"],
      latestHandshake: new Date(NOW - 65_000).toISOString(),
      rxBytes: 1536,
      txBytes: 3 * 1024 * 1024,
      persistentKeepaliveSeconds: 25,
    });
    expect(run.out()).not.toContain(encodeKey(PRIVATE));
  });

  test("no tunnel running: says which socket is missing and what to do", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-status-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = collector();
    expect(await runCli(["status", "--socket-dir", dir, "-i", "tun-x"], run.io)).toBe(1);
    expect(run.err()).toContain(`no tunnel named tun-x is running here (no ${dir}/tun-x.sock)`);
  });

  test("a tunnel that accepts but never answers is given up on, naming the socket", async () => {
    const dir = fakeTunnel("");
    const run = collector();
    expect(await status(["--socket-dir", dir], run.io, 200)).toBe(1);
    expect(run.err()).toContain(`cannot read ${dir}/tun-firezone.sock: no answer within 0.2 s`);
  });

  test("--help says what it reads and its options", async () => {
    const run = collector();
    expect(await runCli(["status", "--help"], run.io)).toBe(0);
    expect(run.out()).toContain("--socket-dir DIR");
  });

  test("a failing answer names the line", async () => {
    const dir = fakeTunnel("errno=1\n\n");
    const run = collector();
    expect(await runCli(["status", "--socket-dir", dir], run.io)).toBe(1);
    expect(run.err()).toContain("answered 'errno=1'");
  });
});
