export { formatRfc3339Nanos, NanosecondClock } from "./clock.ts";
export { type AppLoggerOptions, createAppLogger } from "./create-logger.ts";
export { Logger, type LoggerOptions } from "./logger.ts";
export { humanLine, jsonLine, type LogFields, type LogRecord } from "./record.ts";
export { REDACTED, redact } from "./redact.ts";
export { parseSeverity, SEVERITIES, type Severity } from "./severity.ts";
export { fileSink, type LogSink, streamSink } from "./sinks.ts";
