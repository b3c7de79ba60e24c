import type { ApiErrorBody } from '../api.ts';
import { InvalidRequest } from './request-validation.ts';

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

/** HTTP status of a failed request: 400 bad arguments, 422 the core said no (with a hint), 500 a bug. */
export function statusOf(error: unknown): number {
  if (error instanceof InvalidRequest) return 400;
  if (error instanceof ApiFailure) return 422;
  return 500;
}

/** How a failure travels over either transport. */
export function errorBody(error: unknown): ApiErrorBody {
  if (error instanceof ApiFailure)
    return { error: error.message, ...(error.hint ? { hint: error.hint } : {}) };
  if (error instanceof InvalidRequest) return { error: error.message };
  return {
    error: error instanceof Error ? error.message : String(error),
    hint: 'This is a bug in dinoscope: please report it with what you were doing.',
  };
}
