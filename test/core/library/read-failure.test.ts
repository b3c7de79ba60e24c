import { describe, expect, it } from 'vitest';
import { describeDecodeError } from '../../../core/library/read-failure.ts';
import * as make from './fixture-images.ts';

describe('decoder errors in words', () => {
  it("names a truncated file from libvips' message", () => {
    const error = new Error('VipsJpeg: Premature end of input file');
    expect(describeDecodeError('jpeg', error)).toMatch(/^Truncated JPEG/);
    expect(describeDecodeError('png', new Error('vipspng: libpng read error'))).toMatch(/^Damaged PNG/);
  });

  it('still tells truncated from damaged when sharp lost the warning that stopped the decode', async () => {
    const lost = new Error('Warning treated as error due to failOn setting');
    const whole = await make.noiseJpeg(300, 200);
    expect(describeDecodeError('jpeg', lost, whole.subarray(0, 6000))).toMatch(/^Truncated JPEG/);
    expect(describeDecodeError('jpeg', lost, whole)).toMatch(/^Damaged JPEG/);
    const png = await make.png(40, 30);
    expect(describeDecodeError('png', lost, png.subarray(0, png.length - 20))).toMatch(/^Truncated PNG/);
    expect(describeDecodeError('png', lost, png)).toMatch(/^Damaged PNG/);
    expect(describeDecodeError('jpeg', lost)).toMatch(/^Damaged JPEG/); // without the bytes: no guess
  });
});
