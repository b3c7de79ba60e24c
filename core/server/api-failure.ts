/** A request that could not be done: what happened, and what the person can do about it. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}
