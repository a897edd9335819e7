import { NanosecondClock } from "./clock.ts";
import type { LogFields } from "./record.ts";
import { type Severity, severityRank } from "./severity.ts";
import type { LogSink } from "./sinks.ts";

export interface LoggerOptions {
  readonly level: Severity;
  readonly sinks: readonly LogSink[];
  readonly clock?: NanosecondClock;
  readonly target?: string;
  readonly fields?: LogFields;
}

/** Structured logs to every sink at or above `level`; fields are redacted on the way out. */
export class Logger {
  readonly level: Severity;
  readonly #sinks: readonly LogSink[];
  readonly #clock: NanosecondClock;
  readonly #target: string | undefined;
  readonly #fields: LogFields;
  readonly #minimum: number;

  constructor(options: LoggerOptions) {
    this.level = options.level;
    this.#sinks = options.sinks;
    this.#clock = options.clock ?? new NanosecondClock();
    this.#target = options.target;
    this.#fields = options.fields ?? {};
    this.#minimum = severityRank(options.level);
  }

  /** A logger for a part of the program: same sinks, its own target and fixed fields. */
  child(target: string, fields: LogFields = {}): Logger {
    return new Logger({
      level: this.level,
      sinks: this.#sinks,
      clock: this.#clock,
      target,
      fields: { ...this.#fields, ...fields },
    });
  }

  enabled(severity: Severity): boolean {
    return severityRank(severity) >= this.#minimum;
  }

  log(severity: Severity, message: string, fields: LogFields = {}): void {
    if (!this.enabled(severity)) return;
    const record = {
      time: this.#clock.now(),
      severity,
      message,
      target: this.#target,
      fields: { ...this.#fields, ...fields },
    };
    for (const sink of this.#sinks) sink.write(record);
  }

  trace(message: string, fields?: LogFields): void {
    this.log("TRACE", message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log("DEBUG", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("INFO", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log("WARN", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log("ERROR", message, fields);
  }

  /** Flushes and closes every sink; call once, at exit. */
  async close(): Promise<void> {
    await Promise.all(this.#sinks.map((sink) => sink.close()));
  }
}
