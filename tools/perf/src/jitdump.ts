/**
 * Reads the JITDump files that JavaScriptCore writes when Bun runs with
 * `BUN_JSC_useJITDump=1 BUN_JSC_jitDumpDirectory=DIR` (the format of Linux perf's
 * tools/perf/Documentation/jitdump-specification.txt).
 *
 * perf 6.1's `perf inject --jit` only accepts files named `jit-<pid>.dump`, and JavaScriptCore
 * names them `jit-<tid>-<pid>.dump`, so we turn the code-load records into a perf map
 * (`/tmp/perf-<pid>.map`), which every perf version reads for anonymous executable memory.
 */
export interface JitCodeLoad {
  readonly address: bigint;
  readonly size: bigint;
  readonly name: string;
}

export interface JitDump {
  readonly pid: number;
  readonly loads: readonly JitCodeLoad[];
}

export class JitDumpFormatError extends Error {
  readonly _tag = "JitDumpFormatError";
}

const MAGIC = 0x4a695444; // "JiTD" read little-endian
const RECORD_HEADER_BYTES = 16;
const CODE_LOAD = 0;
const CODE_LOAD_FIXED_BYTES = 40;

export function parseJitDump(bytes: Uint8Array): JitDump {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 40 || view.getUint32(0, true) !== MAGIC) {
    throw new JitDumpFormatError("not a little-endian JITDump file (magic JiTD)");
  }
  const headerBytes = view.getUint32(8, true);
  const pid = view.getUint32(20, true);
  const loads: JitCodeLoad[] = [];
  const decoder = new TextDecoder();
  let offset = headerBytes;
  while (offset + RECORD_HEADER_BYTES <= bytes.byteLength) {
    const id = view.getUint32(offset, true);
    const size = view.getUint32(offset + 4, true);
    if (size < RECORD_HEADER_BYTES || offset + size > bytes.byteLength) break; // still being written
    if (id === CODE_LOAD) {
      const body = offset + RECORD_HEADER_BYTES;
      const nameStart = body + CODE_LOAD_FIXED_BYTES;
      const nameEnd = bytes.indexOf(0, nameStart);
      loads.push({
        address: view.getBigUint64(body + 16, true),
        size: view.getBigUint64(body + 24, true),
        name: decoder.decode(bytes.subarray(nameStart, nameEnd < 0 ? offset + size : nameEnd)),
      });
    }
    offset += size;
  }
  return { pid, loads };
}

/** Lines of a perf map: `START SIZE name`, hexadecimal without 0x. */
export function toPerfMap(dump: JitDump): string {
  return dump.loads
    .map((load) => `${load.address.toString(16)} ${load.size.toString(16)} ${load.name}\n`)
    .join("");
}
