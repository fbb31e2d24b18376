/**
 * The base of every error trunkgate throws on purpose, as undici's errors module does it: one class
 * per error family (SipParseError, TransactionError, SdpError, ConfigError …), each with a stable
 * `code` that callers and logs switch on — never the message text. Catch `TrunkgateError` for any
 * of ours, a family's class for one family, and `code` for the case:
 *
 *   try { … } catch (err) {
 *     if (err instanceof TrunkgateError && err.code === 'MEDIA_PORTS_EXHAUSTED') …
 *   }
 *
 * A leaf like log.ts (imports nothing of ours), so every layer may derive from it. The package
 * root (src/index.ts) re-exports it with every family.
 */
export class TrunkgateError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    // The family's class name (SipParseError …), as each class used to set by hand.
    this.name = new.target.name;
  }
}
