import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, type CodecKeys } from './codec';

/** The data converter every worker and client of the engine must use: the same codec everywhere. */
export function paysagaDataConverter(keys: CodecKeys): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}
