import { describe, expect, test } from "bun:test";
import { NativeAeadUnavailableError } from "./errors.ts";
import { loadNativeAead, NATIVE_PREFERENCE } from "./native.ts";
import { selectAead } from "./select.ts";

const MISSING = {
  openssl: ["libfz-missing-crypto.so.3"],
  libsodium: ["libfz-missing-sodium.so.23"],
};
const nativeLoads = !(loadNativeAead() instanceof NativeAeadUnavailableError);

describe("selectAead", () => {
  test("'noble' always gives noble, with no fallback reason", () => {
    expect(selectAead("noble")).toEqual({ backend: expect.objectContaining({ name: "noble" }) });
  });

  test.skipIf(!nativeLoads)("'auto' and 'native' give the fastest native library", () => {
    for (const setting of ["auto", "native"] as const) {
      const selection = selectAead(setting);
      expect(selection.backend.name).toBe(NATIVE_PREFERENCE[0] ?? "openssl");
      expect(selection.fallbackReason).toBeUndefined();
    }
  });

  test.skipIf(!nativeLoads)("'openssl' and 'libsodium' give exactly that library", () => {
    expect(selectAead("openssl").backend.name).toBe("openssl");
    expect(selectAead("libsodium").backend.name).toBe("libsodium");
  });

  test("'auto' falls back to the next native library, then to noble, saying why", () => {
    expect(selectAead("auto", { openssl: MISSING.openssl }).backend.name).toBe(
      nativeLoads ? "libsodium" : "noble",
    );
    const selection = selectAead("auto", MISSING);
    expect(selection.backend.name).toBe("noble");
    expect(selection.fallbackReason).toContain("libfz-missing-crypto.so.3");
    expect(selection.fallbackReason).toContain("install libssl3");
    expect(selection.fallbackReason).toContain("install libsodium23");
  });

  test("a demanded native backend that cannot load throws an error naming the library and the fix", () => {
    expect(() => selectAead("native", MISSING)).toThrow(NativeAeadUnavailableError);
    expect(() => selectAead("openssl", MISSING)).toThrow(
      /openssl could not be loaded from libfz-missing-crypto\.so\.3.*install libssl3/,
    );
    expect(() => selectAead("libsodium", MISSING)).toThrow(/install libsodium23/);
  });
});

describe("loadNativeAead", () => {
  test("returns, not throws, an unavailable value listing every library it tried", () => {
    const result = loadNativeAead("libsodium", MISSING);
    expect(result).toBeInstanceOf(NativeAeadUnavailableError);
    const unavailable = result as NativeAeadUnavailableError;
    expect(unavailable.kind).toBe("unavailable");
    expect(unavailable._tag).toBe("NativeAeadUnavailableError");
    expect(unavailable.libraries).toEqual(["libsodium", "openssl"]);
    expect(unavailable.reason.indexOf("libsodium")).toBeLessThan(
      unavailable.reason.indexOf("openssl"),
    );
  });

  test.skipIf(!nativeLoads)("tries the preferred library first", () => {
    expect((loadNativeAead("libsodium") as { name: string }).name).toBe("libsodium");
    expect((loadNativeAead("openssl") as { name: string }).name).toBe("openssl");
  });
});
