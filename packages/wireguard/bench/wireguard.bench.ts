import { formatTable, median, writeBenchResults } from "@fz/bench";
import {
  type AeadBackend,
  Device,
  defaultDiffieHellman,
  defaultRandom,
  nobleAead,
  type Peer,
} from "@fz/wireguard";
import { loadNativeAeadFrom, NativeAeadUnavailableError } from "@fz/wireguard/native";

/**
 * One core, one thread, through the public API: full handshakes per second (initiation,
 * response, the initiator's keepalive, all three consumed) with the default X25519, and
 * Gbit/s of 1280-byte IPv4 packets through `encapsulate` (sealed in place in a slot, as the
 * shell does with pool slots) and through `decapsulate`, per AEAD backend. The baseline is the
 * backend's bare seal/open of the same 1280 bytes; `vs_bare_aead` is ours over it. Each figure
 * is the median of REPEATS timed runs of about RUN_MS each, after a warm-up.
 */
const PACKET_BYTES = Number(process.env.BENCH_PACKET_BYTES ?? 1280);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 300);
const BATCH = 1024;
const SLOT_BYTES = 64 + PACKET_BYTES + 64;
const FROM = { address: "198.18.0.1", port: 51820 };

interface Row {
  case: string;
  backend: string;
  ops_per_s: number;
  /** Packet bytes through the case; none for handshakes. */
  gbit_per_s: number | null;
  /** Ours over the bare AEAD on the same bytes; none for handshakes. */
  vs_bare_aead: number | null;
}

/** Runs `batch()` (which does `perBatch` operations) until RUN_MS passes; operations/s. */
function rate(perBatch: number, batch: () => void, untimed: () => void = () => {}): number {
  const warmUntil = Bun.nanoseconds() + 150e6;
  while (Bun.nanoseconds() < warmUntil) {
    untimed();
    batch();
  }
  const samples: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    let done = 0;
    let elapsed = 0;
    while (elapsed < RUN_MS * 1e6) {
      untimed();
      const start = Bun.nanoseconds();
      batch();
      elapsed += Bun.nanoseconds() - start;
      done += perBatch;
    }
    samples.push((done * 1e9) / elapsed);
  }
  return median(samples);
}

function ipv4Packet(length: number): Uint8Array {
  const packet = new Uint8Array(length);
  packet.set([
    0x45,
    0,
    length >>> 8,
    length & 0xff,
    0,
    0,
    0x40,
    0,
    64,
    17,
    0,
    0,
    10,
    0,
    0,
    1,
    10,
    0,
    0,
    2,
  ]);
  for (let i = 20; i < length; i++) packet[i] = i & 0xff;
  return packet;
}

/** Two devices with a session, A having initiated; `now` stays at 1 s. */
function established(aead: AeadBackend) {
  let now = 0;
  const a = new Device({
    privateKey: defaultDiffieHellman.generatePrivateKey(defaultRandom),
    timeOriginMs: 1.7e12,
    aead,
  });
  const b = new Device({
    privateKey: defaultDiffieHellman.generatePrivateKey(defaultRandom),
    timeOriginMs: 1.7e12,
    aead,
  });
  const toB = a.addPeer({ publicKey: b.publicKey }, now);
  const toA = b.addPeer({ publicKey: a.publicKey }, now);
  const out = new Uint8Array(2048);
  const handshake = () => {
    toB.initiateHandshake(now);
    const initiation = take(a.pollTransmit(out, now));
    const response = take(b.decapsulate(FROM, initiation, out, now));
    const keepalive = take(a.decapsulate(FROM, response, out, now));
    const confirmed = b.decapsulate(FROM, keepalive, out, now);
    if (confirmed.type !== "done") throw new Error(`handshake ended in ${confirmed.type}`);
    now += 5_001;
  };
  handshake();
  return { a, b, toA, toB, handshake, now: () => now };
}

function take(result: ReturnType<Peer["encapsulate"]> | undefined): Uint8Array {
  if (result?.type !== "write-to-network")
    throw new Error(`expected a datagram, got ${result?.type}`);
  return result.packet.slice();
}

const backends: AeadBackend[] = [nobleAead];
for (const library of ["openssl", "libsodium"] as const) {
  const loaded = loadNativeAeadFrom(library);
  if (loaded instanceof NativeAeadUnavailableError)
    console.warn(`skipping ${library}: ${loaded.message}`);
  else backends.push(loaded);
}

const rows: Row[] = [];
const packet = ipv4Packet(PACKET_BYTES);
const gbit = (ops: number) => (ops * PACKET_BYTES * 8) / 1e9;

for (const aead of backends) {
  const pair = established(aead);
  const handshakes = rate(16, () => {
    for (let i = 0; i < 16; i++) pair.handshake();
  });
  rows.push({
    case: "handshake",
    backend: `${aead.name} + ${defaultDiffieHellman.name} X25519`,
    ops_per_s: handshakes,
    gbit_per_s: null,
    vs_bare_aead: null,
  });

  const now = pair.now();
  const key = new Uint8Array(32).fill(9);
  const empty = new Uint8Array(0);
  const slot = new Uint8Array(SLOT_BYTES);
  const bare = new Uint8Array(SLOT_BYTES);
  slot.set(packet, 16);
  bare.set(packet);
  const inSlot = slot.subarray(16, 16 + PACKET_BYTES);
  let counter = 0;
  const bareSeal = rate(BATCH, () => {
    for (let i = 0; i < BATCH; i++)
      aead.seal(key, counter++, bare.subarray(0, PACKET_BYTES), empty, bare);
  });
  const encapsulate = rate(BATCH, () => {
    for (let i = 0; i < BATCH; i++) {
      const result = pair.toB.encapsulate(inSlot, slot, now);
      if (result.type !== "write-to-network") throw new Error(result.type);
    }
  });
  rows.push({
    case: "encapsulate",
    backend: aead.name,
    ops_per_s: encapsulate,
    gbit_per_s: gbit(encapsulate),
    vs_bare_aead: encapsulate / bareSeal,
  });
  rows.push({
    case: "bare seal",
    backend: aead.name,
    ops_per_s: bareSeal,
    gbit_per_s: gbit(bareSeal),
    vs_bare_aead: 1,
  });

  // Decapsulate a batch of real transport messages, made untimed before each timed batch.
  const datagrams = Array.from({ length: BATCH }, () => new Uint8Array(32 + PACKET_BYTES));
  const sealedBare = Array.from({ length: BATCH }, () => new Uint8Array(16 + PACKET_BYTES));
  const out = new Uint8Array(2048);
  const fill = () => {
    for (const datagram of datagrams) {
      const result = pair.toB.encapsulate(packet, datagram, now);
      if (result.type !== "write-to-network") throw new Error(result.type);
    }
  };
  const decapsulate = rate(
    BATCH,
    () => {
      for (const datagram of datagrams) {
        const result = pair.b.decapsulate(FROM, datagram, out, now);
        if (result.type !== "write-to-tunnel-v4")
          throw new Error(result.type === "error" ? result.error : result.type);
      }
    },
    fill,
  );
  let openCounter = 0;
  const sealBatch = () => {
    openCounter = counter;
    for (const sealed of sealedBare) aead.seal(key, counter++, packet, empty, sealed);
  };
  const bareOpen = rate(
    BATCH,
    () => {
      let c = openCounter;
      for (const sealed of sealedBare) {
        if (aead.open(key, c++, sealed, empty, out) < 0) throw new Error("bare open failed");
      }
    },
    sealBatch,
  );
  rows.push({
    case: "decapsulate",
    backend: aead.name,
    ops_per_s: decapsulate,
    gbit_per_s: gbit(decapsulate),
    vs_bare_aead: decapsulate / bareOpen,
  });
  rows.push({
    case: "bare open",
    backend: aead.name,
    ops_per_s: bareOpen,
    gbit_per_s: gbit(bareOpen),
    vs_bare_aead: 1,
  });
}

// The data plane asks for the next deadline after every wake-up: with a gateway's thousands of
// idle clients, the device's kept bound against a scan of every peer (what it did before).
{
  const device = new Device({ privateKey: new Uint8Array(32).fill(3), timeOriginMs: 0 });
  const peers: Peer[] = [];
  for (let i = 0; i < 4096; i++) {
    const privateKey = defaultDiffieHellman.generatePrivateKey(defaultRandom);
    peers.push(device.addPeer({ publicKey: defaultDiffieHellman.publicKey(privateKey) }, 0));
  }
  let sink = 0;
  const bound = rate(BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += device.pollTimeout() ?? 1;
  });
  const scan = rate(1, () => {
    let earliest = Number.POSITIVE_INFINITY;
    for (const peer of peers) earliest = Math.min(earliest, peer.pollTimeout() ?? earliest);
    sink += earliest;
  });
  if (sink === -1) console.log(sink);
  for (const [backend, ops] of [
    ["device bound", bound],
    ["scan of every peer", scan],
  ] as const) {
    rows.push({
      case: "next deadline, 4096 peers",
      backend,
      ops_per_s: ops,
      gbit_per_s: null,
      vs_bare_aead: null,
    });
  }
}

const rounded = rows.map((row) => ({
  ...row,
  ops_per_s: Math.round(row.ops_per_s),
  gbit_per_s: row.gbit_per_s === null ? null : Number(row.gbit_per_s.toFixed(3)),
  vs_bare_aead: row.vs_bare_aead === null ? null : Number(row.vs_bare_aead.toFixed(3)),
}));
const table = rounded.map((row) => ({
  ...row,
  gbit_per_s: row.gbit_per_s ?? "",
  vs_bare_aead: row.vs_bare_aead ?? "",
}));
console.log(`WireGuard, ${PACKET_BYTES}-byte packets, one core\n`);
console.log(formatTable(table));
const path = writeBenchResults("wireguard", {
  packet_bytes: PACKET_BYTES,
  repeats: REPEATS,
  run_ms: RUN_MS,
  rows: rounded,
});
console.log(`\nwrote ${path}`);
