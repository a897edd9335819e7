import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FileSink } from "bun";
import { humanLine, jsonLine, type LogRecord } from "./record.ts";

export interface LogSink {
  write(record: LogRecord): void;
  close(): Promise<void>;
}

/** Appends JSON lines to `<dir>/<name>`, creating the directory. */
export function fileSink(dir: string, name: string): LogSink & { readonly path: string } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const writer: FileSink = Bun.file(path).writer();
  return {
    path,
    write(record) {
      writer.write(jsonLine(record));
      writer.flush();
    },
    async close() {
      await writer.end();
    },
  };
}

/** Writes to a stream: readable lines when it is a terminal, JSON lines otherwise. */
export function streamSink(
  write: (text: string) => void,
  format: "json" | "human" | "human-color",
): LogSink {
  return {
    write(record) {
      write(format === "json" ? jsonLine(record) : humanLine(record, format === "human-color"));
    },
    async close() {},
  };
}
