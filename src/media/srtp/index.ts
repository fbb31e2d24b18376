export { SrtpContext } from './context.js';
export { SrtpKeyError, type SrtpRejection } from './errors.js';
export { deriveSessionKey, KDF_LABEL } from './kdf.js';
export { AesCmKeystream } from './keystream.js';
export { ReplayWindow } from './replay.js';
export { cryptoAttribute, newMasterKey, readCryptoAttribute, splitMasterKey, type CryptoAttribute } from './sdes.js';
export { createSrtpSession, type SrtpKeys, type SrtpSession } from './session.js';
export { SRTP_SUITES, isSrtpSuiteName, type SrtpSuite, type SrtpSuiteName } from './suites.js';
