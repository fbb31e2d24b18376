/**
 * HTTP Digest for SIP (RFC 7616 / RFC 2617, RFC 3261 §22): the computation and the server.
 * A leaf module like log.ts — it imports nothing of ours — so that both src/sip (the stack's
 * client and server) and src/gateway (which may not import src/sip) use the one implementation.
 */
export { ha1, digestResponse, digestResponseFromHa1, parseAlgorithm, SUPPORTED_ALGORITHMS, type DigestAlgorithm, type DigestInput } from './hash.js';
export { parseDigestParams, formatDigestChallenge } from './params.js';
export { DigestServer, type DigestServerOptions, type DigestVerdict, type DigestFailure, type DigestChallenge, type PasswordLookup } from './server.js';
