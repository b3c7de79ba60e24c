import { describe, expect, it } from 'vitest';
import { InvalidRequest, validateRequest } from '../../../core/server/request-validation.ts';

describe('request validation', () => {
  it('passes well-formed arguments through, stripped to what the request declares', () => {
    expect(validateRequest('library.images', { offset: 0, limit: 300, status: 'ok' })).toEqual({
      offset: 0,
      limit: 300,
      status: 'ok',
    });
    expect(validateRequest('training.start', { preset: 'quick', epochs: 3 })).toEqual({
      preset: 'quick',
      epochs: 3,
    });
    expect(validateRequest('library.status', undefined)).toEqual({});
  });

  it.each([
    ['library.image', { imageId: 1.5 }, /whole number/],
    ['library.image', {}, /missing/],
    ['library.images', { offset: 0, limit: 10, status: 'deleted' }, /one of/],
    ['library.addFolders', { paths: [] }, /list of 1/],
    ['library.addFolders', { paths: ['~/Photos'] }, /absolute path/],
    ['library.addFolders', { paths: ['/tmp/a\0b'] }, /non-empty text/],
    ['training.start', { arch: 'resnet50' }, /one of/],
    ['training.start', { patchSize: 14 }, /one of/],
    ['export.features', { modelId: 1, format: 'xlsx', path: '/tmp/x' }, /one of/],
    ['duplicates.find', { modelId: 1, threshold: 2 }, /from 0.5 to 1/],
    ['jobs.cancel', { jobId: 'x', also: 'y' }, /unknown field "also"/],
    ['library.status', [], /object/],
    ['no.such.request', {}, /Unknown request/],
  ])('refuses %s %j', (name, args, message) => {
    expect(() => validateRequest(name as 'library.status', args)).toThrow(InvalidRequest);
    expect(() => validateRequest(name as 'library.status', args)).toThrow(message);
  });
});
