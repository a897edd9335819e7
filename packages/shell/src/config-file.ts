import { InvalidConfigError } from "@fz/tunnel/config";

/** The configuration file could not be read or is not TOML; the message says which and where. */
export class ConfigFileError extends Error {
  readonly _tag = "ConfigFileError";
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "ConfigFileError";
  }
}

/** Reads and parses a TOML configuration file, then validates it with `parse`. */
export async function loadConfigFile<T>(
  path: string,
  parse: (raw: unknown, source: string) => T,
): Promise<T> {
  return parse(await readConfigFile(path), path);
}

/** Reads a TOML configuration file into plain values, before validation. */
export async function readConfigFile(path: string): Promise<unknown> {
  const file = Bun.file(path);
  if (!(await file.exists())) {
    throw new ConfigFileError(
      `${path} does not exist: pass the configuration file with --config FILE`,
    );
  }
  let text: string;
  try {
    text = await file.text();
  } catch (error) {
    throw new ConfigFileError(`${path} cannot be read: ${String(error)}`, error);
  }
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (error) {
    throw new ConfigFileError(
      `${path} is not valid TOML: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  return raw;
}

/** Exit status for a configuration error, as BSD sysexits' EX_CONFIG. */
export const EXIT_CONFIG = 78;

export function isConfigError(error: unknown): error is ConfigFileError | InvalidConfigError {
  return error instanceof ConfigFileError || error instanceof InvalidConfigError;
}
