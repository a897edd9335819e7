/**
 * Runs inside a test's network namespace: opens a TUN device, moves packets through
 * TunPacketIo, and answers ICMP echo requests (v4 and v6) to the peer addresses in place, so a
 * real `ping` in the namespace exercises the whole path. Prints "ready", then on SIGTERM stops,
 * closes the device and prints its stats as JSON.
 */
import { BufferPool, DescriptorBatch, PacketChannel } from "@fz/bufferpool";
import { TunDevice, TunPacketIo } from "@fz/tun";

const [name = "fztun0", ...addresses] = process.argv.slice(2);
const device = TunDevice.open({ name, addresses });
const pool = BufferPool.create({ slotCount: 256 });
const fromTun = PacketChannel.create(256);
const toTun = PacketChannel.create(256);
const io = await TunPacketIo.start(device, { pool, fromTun, toTun });
const batch = new DescriptorBatch(64);
let answered = 0;
let running = true;

process.on("SIGTERM", async () => {
  running = false;
  fromTun.close();
  await io.stop();
  device.close();
  process.stdout.write(`${JSON.stringify({ ...io.stats(), answered })}\n`);
  process.exit(0);
});
process.stdout.write("ready\n");

while (running) {
  if ((await fromTun.waitAsync()) === "closed") break;
  fromTun.popBatch(batch);
  for (let i = 0; i < batch.count; i++) {
    const slot = batch.slots[i] ?? 0;
    const packet = pool
      .bytes(slot)
      .subarray(batch.metas[i] ?? 0, (batch.metas[i] ?? 0) + (batch.lengths[i] ?? 0));
    if (turnEchoRequestIntoReply(packet)) {
      answered++;
      toTun.push(slot, batch.lengths[i] ?? 0, batch.metas[i] ?? 0);
    } else {
      pool.giveBack(slot);
    }
  }
}

function turnEchoRequestIntoReply(packet: Uint8Array): boolean {
  const version = (packet[0] ?? 0) >> 4;
  if (version === 4) {
    const headerLength = ((packet[0] ?? 0) & 0x0f) * 4;
    if (packet[9] !== 1 || packet[headerLength] !== 8) return false;
    swap(packet, 12, 16, 4);
    packet[headerLength] = 0;
    adjustChecksum(packet, headerLength + 2, 0x0800, 0x0000);
    return true;
  }
  if (version === 6) {
    if (packet[6] !== 58 || packet[40] !== 128) return false;
    swap(packet, 8, 24, 16);
    packet[40] = 129;
    adjustChecksum(packet, 42, 128 << 8, 129 << 8);
    return true;
  }
  return false;
}

function swap(bytes: Uint8Array, a: number, b: number, length: number): void {
  for (let i = 0; i < length; i++) {
    const t = bytes[a + i] ?? 0;
    bytes[a + i] = bytes[b + i] ?? 0;
    bytes[b + i] = t;
  }
}

/** RFC 1624: HC' = ~(~HC + ~m + m'). */
function adjustChecksum(bytes: Uint8Array, at: number, oldWord: number, newWord: number): void {
  let sum =
    (~(((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)) & 0xffff) + (~oldWord & 0xffff) + newWord;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const result = ~sum & 0xffff;
  bytes[at] = result >> 8;
  bytes[at + 1] = result & 0xff;
}
