import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `../shared` holds read-only fixtures and datasets on developer machines and in CI. A user's
 * clone may not have it: tests that need it skip with a message instead of failing.
 */
export const sharedFolder = fileURLToPath(new URL('../../shared/', import.meta.url));
export const hasShared = existsSync(sharedFolder);
export const sharedPath = (relative: string) => `${sharedFolder}${relative}`;
export const skipWithoutShared = hasShared ? '' : 'skipped: ../shared (fixtures and datasets) is not present';
