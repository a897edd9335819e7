/**
 * Our side of the interop test, run by interop.test.ts as a child process inside its own
 * network namespace: a Device on a real UDP socket, driven with real time (plus an offset the
 * parent can advance). Commands arrive on stdin and answers leave on stdout, one JSON object
 * per line. It answers ICMP echo requests sent to its tunnel addresses by itself.
 */
import { Device, decodeKey, type Endpoint, type Peer, type TunnResult } from "@fz/wireguard";
import { type AeadSetting, selectAead } from "@fz/wireguard/native";
import { buildEcho, type Echo, ipv4, ipv6, parseEcho } from "./icmp.ts";

interface PeerSideConfig {
  readonly privateKey: string;
  readonly peerPublicKey: string;
  readonly listen: Endpoint;
  readonly peerEndpoint: Endpoint;
  readonly inner4: string;
  readonly inner6: string;
  readonly peerInner4: string;
  readonly peerInner6: string;
}

type Command =
  | { readonly id: number; readonly cmd: "ping"; readonly version: 4 | 6; readonly size: number }
  | { readonly id: number; readonly cmd: "advance"; readonly ms: number }
  | { readonly id: number; readonly cmd: "stats" }
  | { readonly id: number; readonly cmd: "reset"; readonly aead?: AeadSetting };

const config = JSON.parse(process.argv[2] ?? "{}") as PeerSideConfig;
const privateKey = mustDecode(config.privateKey);
const peerPublicKey = mustDecode(config.peerPublicKey);
const ours = { 4: ipv4(config.inner4), 6: ipv6(config.inner6) } as const;
const theirs = { 4: ipv4(config.peerInner4), 6: ipv6(config.peerInner6) } as const;

let offsetMs = 0;
const now = () => performance.now() + offsetMs;
let aeadName = "";
let { device, peer } = create();
let answered = 0;
let errors: Record<string, number> = {};
let sequence = 0;
const waiting = new Map<string, (ok: boolean) => void>();
const out = new Uint8Array(2048);

function create(aead: AeadSetting = "noble"): { device: Device; peer: Peer } {
  const { backend } = selectAead(aead);
  aeadName = backend.name;
  const fresh = new Device({ privateKey, timeOriginMs: performance.timeOrigin, aead: backend });
  return { device: fresh, peer: fresh.addPeer({ publicKey: peerPublicKey }, now()) };
}

const socket = await Bun.udpSocket({
  hostname: config.listen.address,
  port: config.listen.port,
  socket: {
    data(_socket, data, port, address) {
      const from = { address, port };
      handle(device.decapsulate(from, data, out, now()), from);
      drain();
    },
  },
});

function handle(result: TunnResult, from: Endpoint): void {
  switch (result.type) {
    case "write-to-network":
      socket.send(result.packet, from.port, from.address);
      return;
    case "write-to-tunnel-v4":
    case "write-to-tunnel-v6":
      onPacket(result.packet);
      return;
    case "error":
      errors[result.error] = (errors[result.error] ?? 0) + 1;
      return;
    case "done":
      return;
  }
}

function onPacket(packet: Uint8Array): void {
  const echo = parseEcho(packet);
  if (echo === undefined) return;
  if (echo.reply) {
    const key = `${echo.version}:${echo.sequence}`;
    waiting.get(key)?.(true);
    waiting.delete(key);
    return;
  }
  answered++;
  const reply: Echo = { ...echo, reply: true, source: echo.destination, destination: echo.source };
  send(buildEcho(reply));
}

function send(packet: Uint8Array): void {
  const result = peer.encapsulate(packet, out, now());
  handle(result, config.peerEndpoint);
  drain();
}

function drain(): void {
  for (;;) {
    const result = device.pollTransmit(out, now());
    if (result === undefined) return;
    handle(result, config.peerEndpoint);
  }
}

setInterval(() => {
  if ((device.pollTimeout() ?? Number.POSITIVE_INFINITY) <= now()) {
    device.handleTimeout(now());
    drain();
  }
}, 20);

function ping(version: 4 | 6, size: number): Promise<boolean> {
  const seq = ++sequence;
  const data = new Uint8Array(size).map((_, i) => (i * 13 + seq) & 0xff);
  const packet = buildEcho({
    version,
    reply: false,
    source: ours[version],
    destination: theirs[version],
    id: 0x4242,
    sequence: seq,
    data,
  });
  return new Promise((resolve) => {
    const key = `${version}:${seq}`;
    const timer = setTimeout(() => {
      waiting.delete(key);
      resolve(false);
    }, 3000);
    waiting.set(key, (ok) => {
      clearTimeout(timer);
      resolve(ok);
    });
    send(packet);
  });
}

function answer(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

answer({ ready: true, publicKey: Buffer.from(device.publicKey).toString("base64") });

for await (const line of console) {
  if (line.trim() === "") continue;
  const command = JSON.parse(line) as Command;
  switch (command.cmd) {
    case "ping":
      answer({ id: command.id, ok: await ping(command.version, command.size) });
      break;
    case "advance":
      offsetMs += command.ms;
      device.handleTimeout(now());
      drain();
      answer({ id: command.id, ok: true });
      break;
    case "stats":
      answer({ id: command.id, stats: peer.stats(), answered, errors });
      errors = {};
      break;
    case "reset":
      ({ device, peer } = create(command.aead));
      answer({ id: command.id, ok: true, aead: aeadName });
      break;
  }
}
socket.close();
process.exit(0);

function mustDecode(text: string): Uint8Array {
  const key = decodeKey(text);
  if (key instanceof Error) throw key;
  return key;
}
