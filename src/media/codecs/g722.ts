/** ITU-T G.722 64 kbit/s (work in progress: the interface is final, the codec lands next). */
import { CodecError, type AudioCodec } from './types.js';

export function createG722(): AudioCodec {
  throw new CodecError('CODEC_UNKNOWN', 'G722: not implemented yet');
}
