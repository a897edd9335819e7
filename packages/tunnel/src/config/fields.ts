import { parseIpv4, parseIpv6 } from "@fz/ip-packet";
import type { Endpoint } from "@fz/wireguard";
import { decodeKey, KeyFormatError } from "@fz/wireguard/keys";
import { formatIpNetwork, type IpNetwork, networkContains, parseIpNetwork } from "../ip-network.ts";
import type { ConfigProblem } from "./config-error.ts";
import { parseHostPort } from "./host-port.ts";

/**
 * Reads typed fields out of a parsed TOML table, collecting every problem instead of stopping
 * at the first, so one run of `firezone` tells the user everything to fix.
 */
export class FieldReader {
  readonly problems: ConfigProblem[] = [];

  problem(field: string, problem: string, fix: string): undefined {
    this.problems.push({ field, problem, fix });
    return undefined;
  }

  table(value: unknown, field: string): Record<string, unknown> | undefined {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
    return this.problem(
      field,
      `expected a table, got ${describe(value)}`,
      `write it as [${field}]`,
    );
  }

  tables(value: unknown, field: string, required: boolean): Record<string, unknown>[] {
    if (value === undefined) {
      if (required) this.problem(field, "is missing", `add at least one [[${field}]] section`);
      return [];
    }
    if (!Array.isArray(value)) {
      this.problem(
        field,
        `expected [[${field}]] sections, got ${describe(value)}`,
        `write each as [[${field}]]`,
      );
      return [];
    }
    return value.flatMap((item: unknown, i): Record<string, unknown>[] => {
      const table = this.table(item, `${field}[${i}]`);
      return table === undefined ? [] : [table];
    });
  }

  string(
    table: Record<string, unknown>,
    key: string,
    field: string,
    example: string,
  ): string | undefined {
    const value = table[key];
    if (typeof value === "string" && value.trim() !== "") return value.trim();
    if (value === undefined) return this.problem(field, "is missing", `add ${key} = "${example}"`);
    return this.problem(
      field,
      `expected a non-empty string, got ${describe(value)}`,
      `write ${key} = "${example}"`,
    );
  }

  optionalString(
    table: Record<string, unknown>,
    key: string,
    field: string,
    example: string,
  ): string | undefined {
    return table[key] === undefined ? undefined : this.string(table, key, field, example);
  }

  integer(
    table: Record<string, unknown>,
    key: string,
    field: string,
    range: readonly [number, number],
  ): number | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    const number = typeof value === "bigint" ? Number(value) : value;
    if (
      typeof number === "number" &&
      Number.isInteger(number) &&
      number >= range[0] &&
      number <= range[1]
    ) {
      return number;
    }
    return this.problem(
      field,
      `expected a whole number from ${range[0]} to ${range[1]}, got ${describe(value)}`,
      `write ${key} = ${range[0]}`,
    );
  }

  stringList(
    table: Record<string, unknown>,
    key: string,
    field: string,
    example: string,
  ): string[] {
    const value = table[key];
    if (Array.isArray(value) && value.every((item) => typeof item === "string"))
      return value as string[];
    if (value === undefined) {
      this.problem(field, "is missing", `add ${key} = ["${example}"]`);
      return [];
    }
    this.problem(
      field,
      `expected a list of strings, got ${describe(value)}`,
      `write ${key} = ["${example}"]`,
    );
    return [];
  }

  key(
    table: Record<string, unknown>,
    key: string,
    field: string,
    what: string,
    optional = false,
  ): Uint8Array | undefined {
    if (optional && table[key] === undefined) return undefined;
    const text = this.string(table, key, field, "…44 characters of base64…");
    if (text === undefined) return undefined;
    const decoded = decodeKey(text);
    if (decoded instanceof KeyFormatError) {
      return this.problem(field, decoded.message, `use ${what}`);
    }
    return decoded;
  }

  ipv4In(
    table: Record<string, unknown>,
    key: string,
    field: string,
    range: IpNetwork,
    rangeText: string,
  ): number | undefined {
    return this.#addressIn(table, key, field, range, rangeText, {
      name: "IPv4",
      example: "100.64.0.2",
      parse: parseIpv4,
    });
  }

  ipv6In(
    table: Record<string, unknown>,
    key: string,
    field: string,
    range: IpNetwork,
    rangeText: string,
  ): Uint8Array | undefined {
    return this.#addressIn(table, key, field, range, rangeText, {
      name: "IPv6",
      example: "fd00:2021:1111::2",
      parse: parseIpv6,
    });
  }

  #addressIn<A extends number | Uint8Array>(
    table: Record<string, unknown>,
    key: string,
    field: string,
    range: IpNetwork,
    rangeText: string,
    family: {
      readonly name: string;
      readonly example: string;
      readonly parse: (text: string) => A | undefined;
    },
  ): A | undefined {
    const text = this.string(table, key, field, family.example);
    if (text === undefined) return undefined;
    const address = family.parse(text);
    const fix = `use an address from ${rangeText}`;
    if (address === undefined)
      return this.problem(field, `'${text}' is not an ${family.name} address`, fix);
    if (!networkContains(range, address))
      return this.problem(field, `${text} is outside ${rangeText}`, fix);
    return address;
  }

  network(table: Record<string, unknown>, key: string, field: string): IpNetwork | undefined {
    const text = this.string(table, key, field, "198.19.0.0/24");
    if (text === undefined) return undefined;
    const network = parseIpNetwork(text);
    if (network !== undefined) return network;
    const lenient = parseIpNetwork(text, true);
    if (lenient !== undefined) {
      return this.problem(
        field,
        `'${text}' has host bits set`,
        `write the network address, e.g. ${formatIpNetwork(lenient)}`,
      );
    }
    return this.problem(
      field,
      `'${text}' is not an address range`,
      "write it as address/prefix, e.g. 198.19.0.0/24 or fd00:198:19::/64",
    );
  }

  endpoint(table: Record<string, unknown>, key: string, field: string): Endpoint | undefined {
    const text = this.string(table, key, field, "198.18.1.1:51820");
    if (text === undefined) return undefined;
    const endpoint = parseHostPort(text);
    if (endpoint !== undefined) return endpoint;
    return this.problem(
      field,
      `'${text}' is not an IP address and port`,
      "write it as 198.18.1.1:51820 or [fd00::1]:51820 (host names are not resolved)",
    );
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `"${value}"`;
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object" && value !== null) return "a table";
  return String(value);
}
