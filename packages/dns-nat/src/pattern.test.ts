import { describe, expect, test } from "bun:test";
import { isPatternError, mostSpecificMatch, type NamePattern, parsePattern } from "@fz/dns-nat";
import fc from "fast-check";

function pattern(text: string): NamePattern {
  const parsed = parsePattern(text);
  if (isPatternError(parsed)) throw new Error(parsed.reason);
  return parsed;
}

const cases: [string, string[], string[]][] = [
  [
    "app.internal",
    ["app.internal", "APP.Internal", "app.internal."],
    ["b.app.internal", "internal", "app.internal.x"],
  ],
  [
    "*.internal",
    ["a.internal", "internal", "X-1.internal"],
    ["a.b.internal", "ainternal", "internal.a"],
  ],
  ["*.a.b", ["x.a.b", "a.b"], ["y.x.a.b", "b"]],
  [
    "**.corp.example",
    ["corp.example", "a.corp.example", "a.b.c.corp.example"],
    ["corp.example.com", "xcorp.example"],
  ],
  [
    "?.db.internal",
    ["a.db.internal", "7.db.internal"],
    ["ab.db.internal", "db.internal", "..db.internal"],
  ],
  ["db-?.internal", ["db-1.internal"], ["db-.internal", "db-12.internal"]],
  ["api.*.internal", ["api.eu.internal"], ["api.internal", "api.eu.west.internal"]],
  ["a.**.b", ["a.b", "a.x.b", "a.x.y.b"], ["x.a.b", "a.b.c"]],
];

describe("parsePattern", () => {
  test.each(cases)("%p", (text, yes, no) => {
    const compiled = pattern(text);
    for (const name of yes)
      expect({ name, matches: compiled.matches(name) }).toEqual({ name, matches: true });
    for (const name of no)
      expect({ name, matches: compiled.matches(name) }).toEqual({ name, matches: false });
  });

  test("classifies patterns by what makes them least specific", () => {
    expect(pattern("a.b").kind).toBe("exact");
    expect(pattern("?.b").kind).toBe("question");
    expect(pattern("*.b").kind).toBe("star");
    expect(pattern("?.*.b").kind).toBe("star");
    expect(pattern("**.*.b").kind).toBe("double-star");
  });

  test("rejects what is not a name pattern, saying why", () => {
    for (const [text, reason] of [
      ["", "it is empty"],
      ["a..b", "it has an empty label"],
      ["a b.c", "may hold only"],
      ["a*.b", "may hold only"],
      [`${"x".repeat(64)}.b`, "longer than 63"],
    ] as const) {
      const parsed = parsePattern(text);
      expect(isPatternError(parsed) && parsed.reason).toContain(reason);
    }
  });

  test("an exact pattern matches exactly its own name, in any case", () => {
    const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(
        fc.array(label, { minLength: 1, maxLength: 5 }),
        fc.array(label, { minLength: 1, maxLength: 5 }),
        (a, b) => {
          const compiled = pattern(a.join("."));
          expect(compiled.matches(a.join(".").toUpperCase())).toBe(true);
          expect(compiled.matches(b.join("."))).toBe(a.join(".") === b.join("."));
        },
      ),
    );
  });

  test("** matches every name under its suffix, and * only one label deeper", () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    fc.assert(
      fc.property(fc.array(label, { maxLength: 4 }), (prefix) => {
        const name = [...prefix, "corp", "example"].join(".");
        expect(pattern("**.corp.example").matches(name)).toBe(true);
        expect(pattern("*.corp.example").matches(name)).toBe(prefix.length <= 1);
      }),
    );
  });
});

describe("mostSpecificMatch", () => {
  const resources = ["**.internal", "*.internal", "?.internal", "a.internal"].map((text) => ({
    id: text,
    pattern: pattern(text),
  }));

  test("exact beats ?, which beats *, which beats **, whatever the order given", () => {
    expect(mostSpecificMatch(resources, "a.internal")?.id).toBe("a.internal");
    expect(mostSpecificMatch([...resources].reverse(), "b.internal")?.id).toBe("?.internal");
    expect(mostSpecificMatch(resources, "bb.internal")?.id).toBe("*.internal");
    expect(mostSpecificMatch(resources, "x.bb.internal")?.id).toBe("**.internal");
    expect(mostSpecificMatch(resources, "example.com")).toBeUndefined();
  });
});
