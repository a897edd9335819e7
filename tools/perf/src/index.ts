export {
  type JitCodeLoad,
  type JitDump,
  JitDumpFormatError,
  parseJitDump,
  toPerfMap,
} from "./jitdump.ts";
