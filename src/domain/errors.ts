/**
 * What domain code throws. It knows nothing of HTTP: the API's error handler turns these into problem+json
 * (src/lib/error-handler.ts) and queue consumers turn send failures into retry, failover or a recorded failure.
 */

export type FieldLocation = "body" | "query" | "path" | "header";

export interface FieldProblem {
  location: FieldLocation;
  /** Dotted path of the offending field; array items by index. */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class DomainError extends Error {
  override name = "DomainError";
}

/** The thing does not exist in this workspace (another workspace's objects do not exist either). */
export class NotFoundError extends DomainError {
  override name = "NotFoundError";
}

/** The request is well formed but the current state forbids it: a name taken, an illegal transition, a thing in use. */
export class ConflictError extends DomainError {
  override name = "ConflictError";
}

/** Input that cannot be accepted, with the path of every offending field. */
export class InvalidFieldsError extends DomainError {
  override name = "InvalidFieldsError";
  constructor(
    message: string,
    readonly fields: FieldProblem[],
  ) {
    super(message);
  }
}

/** Input that is malformed as a whole (no single field to blame), such as an upload cut short. */
export class MalformedInputError extends DomainError {
  override name = "MalformedInputError";
}

export const notFound = (what: string) => new NotFoundError(`${what} not found`);
export const conflict = (detail: string) => new ConflictError(detail);
export const invalidField = (location: FieldLocation, path: string, message: string) =>
  new InvalidFieldsError(message, [{ location, path, message }]);
export const invalidFields = (message: string, fields: FieldProblem[]) => new InvalidFieldsError(message, fields);

/**
 * How a send failed, which decides what happens next:
 * - `retryable`: try again later (throttled, a 5xx, a timeout); `retryAfterMs` when the provider said when.
 * - `permanent`: this message to this recipient will never be accepted; the recipient fails with the reason.
 * - `config`: the provider account is unusable (bad credentials, sending disabled); route around it.
 * - `unknown`: the provider may have accepted the message (the connection dropped after it was handed over);
 *   sending again could deliver twice, so the recipient is left for reconciliation.
 */
export type SendFailureKind = "retryable" | "permanent" | "config" | "unknown";

export class SendError extends DomainError {
  override name = "SendError";
  constructor(
    readonly kind: SendFailureKind,
    /** One line, safe to show and store: never a credential. */
    readonly reason: string,
    readonly retryAfterMs?: number,
  ) {
    super(reason);
  }
}
