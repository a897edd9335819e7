import { InvalidOptionsError } from "./errors.ts";

export function requireIntegerInRange(
  field: string,
  value: number,
  min: number,
  max: number,
): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionsError(
      field,
      `expected a whole number from ${min} to ${max}, got ${value}`,
    );
  }
  return value;
}
