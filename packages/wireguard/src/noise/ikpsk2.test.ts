import { describe, expect, test } from "bun:test";
import {
  type DiffieHellman,
  defaultDiffieHellman,
  initialState,
  nobleAead,
  nobleX25519,
  openInitiationPayload,
  openInitiationStatic,
  openResponse,
  splitKeys,
  writeInitiation,
  writeResponse,
} from "@fz/wireguard";

// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s from cacophony's vectors (haskell-cryptography/cacophony
// vectors/cacophony.txt, mirrored in mcginty/snow tests/vectors/cacophony.txt at line 18707).
const VECTOR = {
  prologue: "4a6f686e2047616c74",
  psk: "54686973206973206d7920417573747269616e20706572737065637469766521",
  initStatic: "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1",
  initEphemeral: "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
  initRemoteStatic: "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62",
  respStatic: "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893",
  respEphemeral: "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
  handshakeHash: "f5191b875290abcd41347ac3622d9679688a7e980229cb937ef748336cfde0e5",
  messages: [
    {
      payload: "4c756477696720766f6e204d69736573",
      ciphertext:
        "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c7944001e21de9f98ddd8e2ad57527207feb56253c9c94a9e496782ecfcb2a75fbcaf1b52948cc48daefe660c62119ab5000980c84831215f2441eba616548e832985464cf17e51ee93109008399a21f7e13f",
    },
    {
      payload: "4d757272617920526f746862617264",
      ciphertext:
        "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843cb765f2caef0751b8f007572dab0322217755c0632f365717edbf34d33e87a",
    },
    {
      payload: "462e20412e20486179656b",
      ciphertext: "8153ca9833bc3c1b91a7e66e5f4d4f5b59bf9e64c2f20d15f0bba7",
    },
    {
      payload: "4361726c204d656e676572",
      ciphertext: "07af0c9c86e1b4e80f36b04ff7688d51141af3debd0332f0a705ef",
    },
    {
      payload: "4a65616e2d426170746973746520536179",
      ciphertext: "6ab1467c0448cc78394494abaaf23afce0e234315d6e2624dcbfa8a21c1c4d073d",
    },
    {
      payload: "457567656e2042f6686d20766f6e2042617765726b",
      ciphertext: "dfc346c0d2296ae6cf1acf6f12b8456a1dba228cf8d8b774aacf1c47fc53aa80ebc7a4c292",
    },
  ],
} as const;

const bytes = (text: string) => Uint8Array.fromHex(text);
const hex = (value: Uint8Array) => value.toHex();
const join = (...parts: Uint8Array[]) => {
  const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
};
const message = (index: number) => {
  const entry = VECTOR.messages[index];
  if (entry === undefined) throw new Error(`no message ${index}`);
  return { payload: bytes(entry.payload), ciphertext: entry.ciphertext };
};

describe.each([
  ["node", defaultDiffieHellman],
  ["noble", nobleX25519],
] as [string, DiffieHellman][])("cacophony IKpsk2 vector (%s X25519)", (_name, dh) => {
  const crypto = { aead: nobleAead, dh };
  const initial = initialState(bytes(VECTOR.prologue));
  const initStatic = bytes(VECTOR.initStatic);
  const respStatic = bytes(VECTOR.respStatic);
  const psk = bytes(VECTOR.psk);

  test("the responder's static public key is the vector's init_remote_static", () => {
    expect(hex(dh.publicKey(respStatic))).toBe(VECTOR.initRemoteStatic);
  });

  test("messages 1 and 2, the handshake hash and the transport messages match", () => {
    const initStaticPublic = dh.publicKey(initStatic);
    const respStaticPublic = bytes(VECTOR.initRemoteStatic);
    const staticShared = dh.sharedSecret(initStatic, respStaticPublic);
    if (staticShared === undefined) throw new Error("static-static DH failed");

    const first = message(0);
    const written = writeInitiation(
      crypto,
      initial,
      {
        localStaticPublic: initStaticPublic,
        remoteStaticPublic: respStaticPublic,
        staticShared,
        ephemeralPrivate: bytes(VECTOR.initEphemeral),
      },
      first.payload,
    );
    if (written === undefined) throw new Error("writeInitiation failed");
    expect(hex(join(written.ephemeralPublic, written.sealedStatic, written.sealedPayload))).toBe(
      first.ciphertext,
    );

    const opened = openInitiationStatic(
      crypto,
      initial,
      { localStaticPrivate: respStatic, localStaticPublic: respStaticPublic },
      written.ephemeralPublic,
      written.sealedStatic,
    );
    if (opened === undefined) throw new Error("openInitiationStatic failed");
    expect(hex(opened.remoteStaticPublic)).toBe(hex(initStaticPublic));
    const responderShared = dh.sharedSecret(respStatic, opened.remoteStaticPublic);
    if (responderShared === undefined) throw new Error("static-static DH failed");
    const read = openInitiationPayload(
      crypto,
      opened.state,
      responderShared,
      written.sealedPayload,
    );
    if (read === undefined) throw new Error("openInitiationPayload failed");
    expect(hex(read.payload)).toBe(hex(first.payload));

    const second = message(1);
    const response = writeResponse(
      crypto,
      read.state,
      {
        remoteEphemeralPublic: written.ephemeralPublic,
        remoteStaticPublic: opened.remoteStaticPublic,
        ephemeralPrivate: bytes(VECTOR.respEphemeral),
        presharedKey: psk,
      },
      second.payload,
    );
    if (response === undefined) throw new Error("writeResponse failed");
    expect(hex(join(response.ephemeralPublic, response.sealedPayload))).toBe(second.ciphertext);

    const done = openResponse(
      crypto,
      written.state,
      {
        localEphemeralPrivate: bytes(VECTOR.initEphemeral),
        localStaticPrivate: initStatic,
        presharedKey: psk,
      },
      response.ephemeralPublic,
      response.sealedPayload,
    );
    if (done === undefined) throw new Error("openResponse failed");
    expect(hex(done.payload)).toBe(hex(second.payload));
    expect(hex(done.state.hash)).toBe(VECTOR.handshakeHash);
    expect(hex(response.state.hash)).toBe(VECTOR.handshakeHash);

    const [initiatorSend, initiatorReceive] = splitKeys(done.state.chainKey);
    const [responderReceive, responderSend] = splitKeys(response.state.chainKey);
    expect(hex(initiatorSend)).toBe(hex(responderReceive));
    expect(hex(initiatorReceive)).toBe(hex(responderSend));
    for (let index = 2; index < VECTOR.messages.length; index++) {
      const { payload, ciphertext } = message(index);
      const fromInitiator = index % 2 === 0;
      const counter = (index - 2) >> 1;
      const sealed = new Uint8Array(payload.length + 16);
      nobleAead.seal(
        fromInitiator ? initiatorSend : responderSend,
        counter,
        payload,
        new Uint8Array(0),
        sealed,
      );
      expect(hex(sealed)).toBe(ciphertext);
      const opened = new Uint8Array(payload.length);
      const key = fromInitiator ? responderReceive : initiatorReceive;
      expect(nobleAead.open(key, counter, sealed, new Uint8Array(0), opened)).toBe(payload.length);
      expect(hex(opened)).toBe(hex(payload));
    }
  });

  test("a flipped bit in the sealed static key or payload makes message 1 fail to open", () => {
    const initStaticPublic = dh.publicKey(initStatic);
    const respStaticPublic = dh.publicKey(respStatic);
    const staticShared = dh.sharedSecret(initStatic, respStaticPublic);
    if (staticShared === undefined) throw new Error("static-static DH failed");
    const written = writeInitiation(
      crypto,
      initial,
      {
        localStaticPublic: initStaticPublic,
        remoteStaticPublic: respStaticPublic,
        staticShared,
        ephemeralPrivate: bytes(VECTOR.initEphemeral),
      },
      message(0).payload,
    );
    if (written === undefined) throw new Error("writeInitiation failed");
    for (const field of ["sealedStatic", "sealedPayload"] as const) {
      const tampered = written[field].slice();
      tampered[5] = (tampered[5] ?? 0) ^ 1;
      const opened = openInitiationStatic(
        crypto,
        initial,
        { localStaticPrivate: respStatic, localStaticPublic: respStaticPublic },
        written.ephemeralPublic,
        field === "sealedStatic" ? tampered : written.sealedStatic,
      );
      if (field === "sealedStatic") {
        expect(opened).toBeUndefined();
        continue;
      }
      if (opened === undefined) throw new Error("openInitiationStatic failed");
      const shared = dh.sharedSecret(respStatic, initStaticPublic);
      if (shared === undefined) throw new Error("static-static DH failed");
      expect(openInitiationPayload(crypto, opened.state, shared, tampered)).toBeUndefined();
    }
  });
});
