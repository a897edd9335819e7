import { NanosecondClock } from "./clock.ts";
import { Logger } from "./logger.ts";
import { parseSeverity, type Severity } from "./severity.ts";
import { fileSink, type LogSink, streamSink } from "./sinks.ts";

export interface AppLoggerOptions {
  /** `client` or `gateway`: names the log file and tags every record. */
  readonly role: string;
  /** Where JSON-lines files go; none when undefined. */
  readonly logDir?: string | undefined;
  /** Default INFO; the FIREZONE_LOG environment variable (e.g. `debug`) overrides it. */
  readonly level?: Severity | undefined;
  readonly stderr?: { readonly write: (text: string) => void; readonly isTTY: boolean } | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The apps' logger: JSON lines into `<logDir>/firezone-<role>-<start time>.log`, and on stderr
 * readable lines when stderr is a terminal (coloured unless NO_COLOR is set), JSON otherwise.
 */
export function createAppLogger(options: AppLoggerOptions): { logger: Logger; logFile?: string } {
  const env = options.env ?? process.env;
  const clock = new NanosecondClock();
  const level = parseSeverity(env.FIREZONE_LOG ?? "") ?? options.level ?? "INFO";
  const sinks: LogSink[] = [];
  let logFile: string | undefined;
  if (options.logDir !== undefined) {
    const stamp = clock.now().replace(/[:.]/g, "-");
    const file = fileSink(options.logDir, `firezone-${options.role}-${stamp}.log`);
    logFile = file.path;
    sinks.push(file);
  }
  const stderr = options.stderr ?? {
    write: (text: string) => process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
  };
  const format = !stderr.isTTY ? "json" : env.NO_COLOR ? "human" : "human-color";
  sinks.push(streamSink(stderr.write, format));
  const logger = new Logger({ level, sinks, clock, fields: { role: options.role } });
  return logFile === undefined ? { logger } : { logger, logFile };
}
