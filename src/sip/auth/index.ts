/** Digest authentication (RFC 7616 / RFC 2617 for SIP, RFC 3261 §22). */
export { ha1, digestResponse, digestResponseFromHa1, parseAlgorithm, SUPPORTED_ALGORITHMS, type DigestAlgorithm, type DigestInput } from './digest.js';
export { DigestClient, AuthError, buildCredentials, readChallenge, type AuthErrorCode, type ChallengeParams, type DigestCredentials } from './client.js';
export { DigestServer, type DigestServerOptions, type DigestVerifyResult, type PasswordLookup } from './server.js';
