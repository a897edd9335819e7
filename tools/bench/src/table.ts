export type Cell = string | number;

/** Renders rows as an aligned text table; numbers are right-aligned and rounded to `digits`. */
export function formatTable(
  rows: readonly Record<string, Cell>[],
  columns: readonly string[] = Object.keys(rows[0] ?? {}),
  digits = 2,
): string {
  const render = (cell: Cell | undefined): string =>
    typeof cell === "number" ? formatNumber(cell, digits) : (cell ?? "");
  const body = rows.map((row) => columns.map((column) => render(row[column])));
  const widths = columns.map((column, i) =>
    Math.max(column.length, ...body.map((cells) => (cells[i] ?? "").length)),
  );
  const numeric = columns.map((column) => rows.some((row) => typeof row[column] === "number"));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(columns), rule, ...body.map(line)].join("\n");
}

function formatNumber(value: number, digits: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}
