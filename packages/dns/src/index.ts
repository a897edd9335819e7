export {
  DEFAULT_UDP_PAYLOAD_SIZE,
  DnsClass,
  EdnsOptionCode,
  HEADER_BYTES,
  HeaderFlag,
  MAX_LABEL_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_NAME_BYTES,
  Opcode,
  Rcode,
  RecordType,
} from "./constants.ts";
export { decodeMessage } from "./decode.ts";
export { type EncodeOptions, encodeMessage, encodeMessageInto } from "./encode.ts";
export type {
  BadOptReason,
  BadRdataReason,
  DecodeError,
  EncodeError,
  InvalidNameReason,
  Section,
} from "./errors.ts";
export type {
  AaaaRecord,
  ARecord,
  DnsMessage,
  Edns,
  EdnsOption,
  MxRecord,
  NameRecord,
  Question,
  RawRecord,
  RecordCommon,
  RecordTypeName,
  RecordTypeValue,
  ResourceRecord,
  SoaRecord,
  SrvRecord,
  SvcbRecord,
  TxtRecord,
} from "./message.ts";
export { recordTypeCode, recordTypeValue } from "./record-type.ts";
export {
  buildResponse,
  createQuery,
  noDataResponse,
  noErrorResponse,
  nxDomainResponse,
  type QueryOptions,
  type ResponseOptions,
  servFailResponse,
  truncatedResponse,
} from "./response.ts";
export { encodeTcpFrame, TCP_LENGTH_BYTES, TcpFrameDecoder } from "./tcp-framing.ts";
