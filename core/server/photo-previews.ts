import type { Media } from './dinoscope-service.ts';

/** Long side of the preview the Photo view shows: sharp on a large screen, small enough to send fast. */
const PREVIEW_SIZE = 1600;
const CACHED_PREVIEWS = 24;

/**
 * Screen-sized JPEG previews of originals (EXIF orientation applied), so a 20 MP photo, a TIFF or a
 * HEIC shows in any browser. Recent ones stay in memory for walking back and forth.
 */
export class PhotoPreviews {
  private readonly cache = new Map<string, Media>();

  async preview(path: string, mtimeMs: number): Promise<Media> {
    const key = `${path}\0${mtimeMs}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const { default: sharp } = await import('sharp');
    const bytes = await sharp(path, { limitInputPixels: 268_402_689 })
      .rotate()
      .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 86, mozjpeg: false })
      .toBuffer();
    const media = { bytes, mime: 'image/jpeg' };
    this.cache.set(key, media);
    while (this.cache.size > CACHED_PREVIEWS) this.cache.delete(this.cache.keys().next().value as string);
    return media;
  }
}
