/** Digest authentication (RFC 7616 / RFC 2617 for SIP, RFC 3261 §22); the computation and server live in src/digest. */
export { ha1, digestResponse, digestResponseFromHa1, parseAlgorithm, SUPPORTED_ALGORITHMS, DigestServer, type DigestAlgorithm, type DigestInput, type DigestServerOptions, type DigestVerdict, type DigestFailure, type DigestChallenge, type PasswordLookup } from '../../digest/index.js';
export { DigestClient, AuthError, buildCredentials, readChallenge, type AuthErrorCode, type ChallengeParams, type DigestCredentials } from './client.js';
