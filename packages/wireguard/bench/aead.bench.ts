import { formatTable, median, writeBenchResults } from "@fz/bench";
import { blake2s } from "@noble/hashes/blake2.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac as nobleHmac } from "@noble/hashes/hmac.js";
import type { AeadPrimitive } from "../src/aead/aead.ts";
import { NativeAeadUnavailableError } from "../src/aead/errors.ts";
import { loadNativeAeadFrom } from "../src/aead/native.ts";
import { nobleAead } from "../src/aead/noble.ts";
import { hmac } from "../src/crypto/blake2s.ts";
import { kdf2 } from "../src/crypto/kdf.ts";
import { defaultRandom } from "../src/crypto/random.ts";
import { type DiffieHellman, nobleX25519 } from "../src/crypto/x25519.ts";
import { nodeX25519 } from "../src/crypto/x25519-node.ts";

/**
 * One core, one thread: ChaCha20-Poly1305 seal and open of 1280-byte packets per backend, X25519
 * per DiffieHellman, HMAC-BLAKE2s ours against @noble/hashes. Each figure is the median of
 * REPEATS timed runs of about RUN_MS each, after a warm-up; ratios are against noble.
 */
const PACKET_BYTES = Number(process.env.BENCH_PACKET_BYTES ?? 1280);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const RUN_MS = Number(process.env.BENCH_RUN_MS ?? 300);

interface Row {
  case: string;
  backend: string;
  ops_per_s: number;
  gbit_per_s?: number;
  vs_noble: number;
  [column: string]: string | number | undefined;
}

/** Runs `op` in batches until RUN_MS has passed; returns operations per second. */
function opsPerSecond(op: (i: number) => void): number {
  let batch = 16;
  let i = 0;
  const warmUntil = Bun.nanoseconds() + 100e6;
  while (Bun.nanoseconds() < warmUntil) op(i++);
  const samples: number[] = [];
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    let done = 0;
    const start = Bun.nanoseconds();
    let elapsed = 0;
    while (elapsed < RUN_MS * 1e6) {
      for (let j = 0; j < batch; j++) op(i++);
      done += batch;
      elapsed = Bun.nanoseconds() - start;
      if (elapsed < 10e6) batch *= 2;
    }
    samples.push((done * 1e9) / elapsed);
  }
  return median(samples);
}

const rows: Row[] = [];
const add = (name: string, backend: string, ops: number, bytesPerOp?: number): void => {
  const row: Row = { case: name, backend, ops_per_s: Math.round(ops), vs_noble: 1 };
  if (bytesPerOp !== undefined) row.gbit_per_s = (ops * bytesPerOp * 8) / 1e9;
  rows.push(row);
};

// ChaCha20-Poly1305, WireGuard nonce, empty AD (as transport data packets), out of place.
const backends: AeadPrimitive[] = [nobleAead];
const unavailable: string[] = [];
for (const library of ["openssl", "libsodium"] as const) {
  const loaded = loadNativeAeadFrom(library);
  if (loaded instanceof NativeAeadUnavailableError) unavailable.push(loaded.reason);
  else backends.push(loaded);
}
const key = new Uint8Array(32);
defaultRandom(key);
const plaintext = new Uint8Array(PACKET_BYTES);
defaultRandom(plaintext);
const empty = new Uint8Array(0);
for (const backend of backends) {
  const out = new Uint8Array(PACKET_BYTES + 16);
  add(
    "seal",
    backend.name,
    opsPerSecond((i) => backend.seal(key, i, plaintext, empty, out)),
    PACKET_BYTES,
  );
  const sealed = new Uint8Array(PACKET_BYTES + 16);
  backend.seal(key, 42, plaintext, empty, sealed);
  const opened = new Uint8Array(PACKET_BYTES);
  add(
    "open",
    backend.name,
    opsPerSecond(() => {
      if (backend.open(key, 42, sealed, empty, opened) !== PACKET_BYTES) throw new Error("open");
    }),
    PACKET_BYTES,
  );
}

// X25519: a shared secret under a cached private key, and a fresh ephemeral key pair.
for (const dh of [nobleX25519, nodeX25519] as DiffieHellman[]) {
  const ours = dh.generatePrivateKey(defaultRandom);
  const peer = dh.publicKey(dh.generatePrivateKey(defaultRandom));
  add(
    "x25519-shared",
    dh.name,
    opsPerSecond(() => dh.sharedSecret(ours, peer)),
  );
  add(
    "x25519-keypair",
    dh.name,
    opsPerSecond(() => dh.publicKey(dh.generatePrivateKey(defaultRandom))),
  );
}

// HMAC-BLAKE2s of a 32-byte message under a 32-byte key, and KDF2 (noble: its HKDF).
const chainingKey = new Uint8Array(32).fill(1);
const input = new Uint8Array(32).fill(2);
add(
  "hmac-blake2s",
  "noble",
  opsPerSecond(() => nobleHmac(blake2s, chainingKey, input)),
);
add(
  "hmac-blake2s",
  "ours",
  opsPerSecond(() => hmac(chainingKey, input)),
);
add(
  "kdf2",
  "noble",
  opsPerSecond(() => hkdf(blake2s, input, chainingKey, empty, 64)),
);
add(
  "kdf2",
  "ours",
  opsPerSecond(() => kdf2(chainingKey, input)),
);

for (const row of rows) {
  const baseline = rows.find((other) => other.case === row.case && other.backend === "noble");
  row.vs_noble = baseline === undefined ? Number.NaN : row.ops_per_s / baseline.ops_per_s;
}

console.log(
  `wireguard crypto, one core: ${PACKET_BYTES}-byte packets, median of ${REPEATS} runs of ~${RUN_MS} ms\n`,
);
if (unavailable.length > 0) console.log(`not measured: ${unavailable.join("; ")}\n`);
console.log(
  formatTable(
    rows.map((row) => ({ ...row, gbit_per_s: row.gbit_per_s ?? "" })),
    ["case", "backend", "ops_per_s", "gbit_per_s", "vs_noble"],
  ),
);

const path = writeBenchResults("wireguard-aead", {
  packet_bytes: PACKET_BYTES,
  repeats: REPEATS,
  run_ms: RUN_MS,
  unavailable,
  rows,
});
console.log(`\nwrote ${path}`);
