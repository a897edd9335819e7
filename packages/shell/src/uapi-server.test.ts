import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Logger, streamSink } from "@fz/log";
import { encodeKey } from "@fz/wireguard/keys";
import { parseUapiDevice, type UapiDevice, type UapiPeer } from "@fz/wireguard/uapi";
import { UapiServer } from "./uapi-server.ts";

const dirs: string[] = [];
const servers: UapiServer[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function peer(index: number): UapiPeer {
  return {
    publicKey: new Uint8Array(32).fill(index % 256),
    endpoint: { address: "198.18.1.1", port: 51820 },
    lastHandshakeUnixMs: 1_700_000_000_000 + index,
    rxBytes: index * 10,
    txBytes: index * 20,
    persistentKeepaliveSeconds: 25,
    allowedIps: [`100.64.${index >> 8}.${index & 255}/32`],
  };
}

async function startServer(device: UapiDevice, dir = mkdtempSync(join(tmpdir(), "fz-uapi-"))) {
  dirs.push(dir);
  const warnings: string[] = [];
  const logger = new Logger({
    level: "TRACE",
    sinks: [streamSink((line) => warnings.push(line), "json")],
  });
  const server = await UapiServer.start({
    dir,
    interfaceName: "tun-test",
    device: async () => device,
    logger,
  });
  if (server !== undefined) servers.push(server);
  return { server, dir, warnings };
}

/** Sends `request` and reads until the other side has answered `answers` times. */
async function ask(path: string, request: string, answers = 1): Promise<string> {
  let received = "";
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const socket = await Bun.connect({
    unix: path,
    socket: {
      data(_socket, bytes) {
        received += new TextDecoder().decode(bytes);
        if (received.split("\n\n").length > answers) done();
      },
      close() {
        done();
      },
    },
  });
  socket.write(request);
  await finished;
  socket.end();
  return received;
}

describe("UapiServer", () => {
  test("answers get=1 with the device, refuses set=1, in order on one connection", async () => {
    const device = { privateKey: new Uint8Array(32).fill(1), listenPort: 51820, peers: [peer(1)] };
    const { server } = await startServer(device);
    if (server === undefined) throw new Error("not started");
    expect(statSync(server.path).mode & 0o077).toBe(0);
    const answer = await ask(server.path, "get=1\n\nset=1\nlisten_port=1\n\n", 2);
    const [get = "", set = ""] = answer.split(/(?<=\n\n)/);
    expect(parseUapiDevice(get)).toEqual(device);
    expect(set).toBe("errno=1\n\n");
  });

  test("a request that is not get or set gets errno=71 and the connection is closed", async () => {
    const { server } = await startServer({ peers: [] });
    expect(await ask(server?.path ?? "", "hello=1\n\n")).toBe("errno=71\n\n");
  });

  test("an answer much larger than the socket's buffer arrives whole", async () => {
    const device = { peers: Array.from({ length: 4096 }, (_, i) => peer(i)) };
    const { server } = await startServer(device);
    const answer = await ask(server?.path ?? "", "get=1\n\n");
    expect(answer.length).toBeGreaterThan(1_000_000);
    expect(parseUapiDevice(answer)).toEqual(device);
  });

  test("a stale socket file is replaced; a live one is left to its owner", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fz-uapi-"));
    writeFileSync(join(dir, "tun-test.sock"), "");
    const first = await startServer({ peers: [peer(1)] }, dir);
    expect(first.server).toBeDefined();
    const second = await startServer({ peers: [peer(2)] }, dir);
    expect(second.server).toBeUndefined();
    expect(second.warnings.join("")).toContain("in use by another process");
    const answer = parseUapiDevice(await ask(join(dir, "tun-test.sock"), "get=1\n\n"));
    expect(answer).toMatchObject({ peers: [{ rxBytes: 10 }] });
    first.server?.close();
    expect(existsSync(join(dir, "tun-test.sock"))).toBe(false);
  });

  test("a client that asks without reading gets its next answer only when the last has left", async () => {
    let built = 0;
    const device = { peers: Array.from({ length: 4096 }, (_, i) => peer(i)) };
    const dir = mkdtempSync(join(tmpdir(), "fz-uapi-"));
    dirs.push(dir);
    const logger = new Logger({ level: "TRACE", sinks: [streamSink(() => {}, "json")] });
    const server = await UapiServer.start({
      dir,
      interfaceName: "tun-test",
      logger,
      device: async () => {
        built++;
        return device;
      },
    });
    if (server === undefined) throw new Error("not started");
    servers.push(server);
    const socket = await Bun.connect({ unix: server.path, socket: { data() {} } });
    socket.pause?.();
    socket.write("get=1\n\n".repeat(100));
    await Bun.sleep(300);
    socket.end();
    // Each answer is about 1.2 MB; without backpressure all 100 would have been built.
    expect(built).toBeLessThanOrEqual(3);
  });

  test("close removes only the socket file this server made", async () => {
    const first = await startServer({ peers: [] });
    const path = first.server?.path ?? "";
    rmSync(path);
    const second = await startServer({ peers: [peer(5)] }, first.dir);
    first.server?.close();
    expect(existsSync(path)).toBe(true);
    expect(parseUapiDevice(await ask(path, "get=1\n\n"))).toMatchObject({
      peers: [{ rxBytes: 50 }],
    });
    expect(second.server).toBeDefined();
  });

  test.skipIf(process.getuid?.() !== 0 || !Bun.which("wg") || !Bun.which("unshare"))(
    "the real `wg show` reads it (the socket dir bind-mounted on /run/wireguard privately)",
    async () => {
      const privateKey = new Uint8Array(32).fill(7);
      const device = { privateKey, listenPort: 40123, peers: [peer(3)] };
      const { server, dir } = await startServer(device);
      mkdirSync("/run/wireguard", { recursive: true });
      const wg = Bun.spawn(
        [
          "unshare",
          "--mount",
          "sh",
          "-c",
          `mount --bind "${dir}" /run/wireguard && exec wg show tun-test dump`,
        ],
        { stdout: "pipe", stderr: "pipe" },
      );
      const [out, err, status] = await Promise.all([
        new Response(wg.stdout).text(),
        new Response(wg.stderr).text(),
        wg.exited,
      ]);
      expect({ status, err }).toEqual({ status: 0, err: "" });
      const [interfaceLine = "", peerLine = ""] = out.trim().split("\n");
      // dump: private key, public key, port, fwmark / public key, psk, endpoint, allowed ips,
      // handshake, rx, tx, keepalive.
      expect(interfaceLine.split("\t")).toEqual([
        encodeKey(privateKey),
        expect.any(String),
        "40123",
        "off",
      ]);
      expect(peerLine.split("\t")).toEqual([
        encodeKey(new Uint8Array(32).fill(3)),
        "(none)",
        "198.18.1.1:51820",
        "100.64.0.3/32",
        "1700000000",
        "30",
        "60",
        "25",
      ]);
      expect(server).toBeDefined();
    },
  );
});
