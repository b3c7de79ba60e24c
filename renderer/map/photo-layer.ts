/**
 * The map's photos: when a person zooms in far enough that a photo would cover more than a few
 * pixels, each point on screen is drawn as its thumbnail. Thumbnails come from the library's
 * stored 256-px copies (the `thumbnail` media URL), are loaded progressively for the points on
 * screen (nearest the centre of the view first, a few at a time), cropped square and packed into
 * one texture atlas per level of detail:
 *
 *   level 0: 64-px cells, 2048² atlas → 1,024 photos (16 MB of GPU memory)
 *   level 1: 128-px cells, 2048² atlas → 256 photos (16 MB)
 *
 * Each atlas is a fixed pool with least-recently-drawn eviction, so memory stays bounded whatever
 * the library's size (PixPlot keeps every thumbnail resident and breaks between 80k and 270k
 * photos). Points without a loaded thumbnail stay dots underneath until theirs arrives.
 */

import { AtlasSlots } from './atlas-slots.ts';
import { linkProgram } from './gl-program.ts';
import { createLinearTexture } from './gl-texture.ts';

const VERTEX = `#version 300 es
in vec2 position;
in vec2 cell;
uniform vec2 scale;
uniform vec2 offset;
uniform float size;
out vec2 vCell;
void main() {
  gl_Position = vec4(position * scale + offset, 0.0, 1.0);
  gl_PointSize = size;
  vCell = cell;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec2 vCell;
uniform sampler2D atlas;
uniform float cellFraction;
out vec4 outColor;
void main() {
  // gl_PointCoord runs top to bottom; the atlas rows were written top to bottom too.
  outColor = texture(atlas, vCell + gl_PointCoord * cellFraction);
}`;

const ATLAS = 2048;
export const LEVELS = [
  { cell: 64, slots: (ATLAS / 64) ** 2 },
  { cell: 128, slots: (ATLAS / 128) ** 2 },
] as const;
/** Thumbnails drawn once a photo would cover this many CSS pixels; below, dots say more. */
export const PHOTO_MIN_PIXELS = 18;
/** Level 1 from this size up: a 64-px cell blown up further looks soft. */
const LEVEL1_PIXELS = 80;
/** Loads in flight: enough to fill the screen quickly, few enough not to queue hundreds of requests. */
const CONCURRENT_LOADS = 8;
/** Cells waiting for a thumbnail at most: a moving view gives up the photos it shows no faster. */
const RESERVE_AHEAD = 4 * CONCURRENT_LOADS;

interface Level {
  cell: number;
  texture: WebGLTexture;
  slots: AtlasSlots;
}

export class PhotoLayer {
  private readonly program: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly positionBuffer: WebGLBuffer;
  private readonly cellBuffer: WebGLBuffer;
  private readonly levels: Level[];
  private readonly loading = new Set<string>();
  private queue: { level: number; index: number }[] = [];
  private readonly scratch = document.createElement('canvas');
  /** Thumbnails drawn in the last frame (for the map's status line and measurements). */
  drawn = 0;
  /** Thumbnails decoded and uploaded so far. */
  uploads = 0;

  constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly imageIdAt: (index: number) => number,
    private readonly urlOf: (imageId: number) => string,
    private readonly onLoaded: () => void,
  ) {
    this.program = linkProgram(gl, VERTEX, FRAGMENT);
    const buffer = () => {
      const b = gl.createBuffer();
      if (!b) throw new Error('WebGL could not allocate a buffer.');
      return b;
    };
    this.positionBuffer = buffer();
    this.cellBuffer = buffer();
    const vao = gl.createVertexArray();
    if (!vao) throw new Error('WebGL could not allocate a vertex array.');
    this.vao = vao;
    gl.bindVertexArray(vao);
    for (const [name, b] of [
      ['position', this.positionBuffer],
      ['cell', this.cellBuffer],
    ] as const) {
      const location = gl.getAttribLocation(this.program, name);
      gl.bindBuffer(gl.ARRAY_BUFFER, b);
      gl.enableVertexAttribArray(location);
      gl.vertexAttribPointer(location, 2, gl.FLOAT, false, 0, 0);
    }
    gl.bindVertexArray(null);
    this.levels = LEVELS.map(({ cell, slots }) => {
      return { cell, texture: createLinearTexture(gl, ATLAS, ATLAS), slots: new AtlasSlots(slots) };
    });
  }

  /** GPU memory the atlases hold, in bytes (fixed: they are allocated once). */
  get atlasBytes(): number {
    return this.levels.length * ATLAS * ATLAS * 4;
  }

  /** Which level a photo of this many CSS pixels uses; −1 when dots are drawn instead. */
  static levelFor(pixels: number): number {
    if (pixels < PHOTO_MIN_PIXELS) return -1;
    return pixels >= LEVEL1_PIXELS ? 1 : 0;
  }

  /**
   * Draws the thumbnails of `indices` (points on screen, most wanted first) at `pixels` CSS
   * pixels each, asks for the missing ones, and returns how many were drawn.
   */
  draw(
    indices: Int32Array,
    positions: Float32Array,
    transform: { sx: number; sy: number; ox: number; oy: number },
    pixels: number,
    ratio: number,
  ): number {
    const levelIndex = PhotoLayer.levelFor(pixels);
    this.drawn = 0;
    if (levelIndex < 0 || indices.length === 0) return 0;
    const level = this.levels[levelIndex];
    const plan = level.slots.plan(indices, RESERVE_AHEAD);
    // The queue is this frame's wish list, nearest the centre first: what earlier frames asked for
    // may have left the view, and a queue kept in arrival order loaded the view's edges before its
    // centre (the edges are what is new while it moves).
    this.queue = plan.waiting.map((index) => ({ level: levelIndex, index }));
    this.pump();
    // Across the switch between levels, a photo this level has not loaded yet is drawn from the
    // other one (sharper or softer for a moment) rather than falling back to a dot.
    const other = this.levels[1 - levelIndex];
    const borrowed: { index: number; slot: number }[] = [];
    for (const index of indices.subarray(0, level.slots.size)) {
      if (level.slots.isLoaded(index) || !other.slots.isLoaded(index)) continue;
      const slot = other.slots.slotFor(index);
      if (slot !== undefined) borrowed.push({ index, slot });
    }
    this.drawn =
      this.drawCells(other, borrowed, positions, transform, pixels, ratio) +
      this.drawCells(level, plan.ready, positions, transform, pixels, ratio);
    return this.drawn;
  }

  private drawCells(
    level: Level,
    cells: { index: number; slot: number }[],
    positions: Float32Array,
    transform: { sx: number; sy: number; ox: number; oy: number },
    pixels: number,
    ratio: number,
  ): number {
    const n = cells.length;
    if (n === 0) return 0;
    const xy = new Float32Array(n * 2);
    const uv = new Float32Array(n * 2);
    const perRow = ATLAS / level.cell;
    // Drawn back to front: the most wanted (nearest the centre) ends on top.
    for (let k = 0; k < n; k++) {
      const { index, slot } = cells[n - 1 - k];
      xy[2 * k] = positions[2 * index];
      xy[2 * k + 1] = positions[2 * index + 1];
      uv[2 * k] = ((slot % perRow) * level.cell) / ATLAS;
      uv[2 * k + 1] = (Math.floor(slot / perRow) * level.cell) / ATLAS;
    }
    const gl = this.gl;
    // biome-ignore lint/correctness/useHookAtTopLevel: WebGL's useProgram, not a React hook.
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.positionBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STREAM_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.cellBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, uv, gl.STREAM_DRAW);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, level.texture);
    const uniform = (name: string) => gl.getUniformLocation(this.program, name);
    gl.uniform1i(uniform('atlas'), 0);
    gl.uniform2f(uniform('scale'), transform.sx, transform.sy);
    gl.uniform2f(uniform('offset'), transform.ox, transform.oy);
    gl.uniform1f(uniform('size'), Math.min(pixels * ratio, gl.getParameter(gl.ALIASED_POINT_SIZE_RANGE)[1]));
    gl.uniform1f(uniform('cellFraction'), level.cell / ATLAS);
    gl.drawArrays(gl.POINTS, 0, n);
    gl.bindVertexArray(null);
    return n;
  }

  private pump(): void {
    while (this.loading.size < CONCURRENT_LOADS && this.queue.length > 0) {
      const job = this.queue.shift();
      if (!job) break;
      const level = this.levels[job.level];
      const slot = level.slots.slotFor(job.index);
      if (slot === undefined) continue; // given away before its turn
      const key = `${job.level}:${job.index}`;
      if (this.loading.has(key)) continue;
      this.loading.add(key);
      const image = new Image();
      image.decoding = 'async';
      image.src = this.urlOf(this.imageIdAt(job.index));
      image
        .decode()
        .then(() => {
          if (level.slots.slotFor(job.index) === slot) this.upload(level, slot, job.index, image);
        })
        .catch(() => {
          // A photo without a thumbnail stays a dot, and is not asked for again.
          level.slots.markFailed(job.index);
        })
        .finally(() => {
          this.loading.delete(key);
          this.pump();
          this.onLoaded();
        });
    }
  }

  /** The thumbnail cropped to its centre square, scaled to the cell, written into the atlas. */
  private upload(level: Level, slot: number, index: number, image: HTMLImageElement): void {
    const cell = level.cell;
    this.scratch.width = cell;
    this.scratch.height = cell;
    const context = this.scratch.getContext('2d');
    if (!context) return;
    const side = Math.min(image.naturalWidth, image.naturalHeight);
    context.drawImage(
      image,
      (image.naturalWidth - side) / 2,
      (image.naturalHeight - side) / 2,
      side,
      side,
      0,
      0,
      cell,
      cell,
    );
    const gl = this.gl;
    const perRow = ATLAS / cell;
    gl.bindTexture(gl.TEXTURE_2D, level.texture);
    gl.texSubImage2D(
      gl.TEXTURE_2D,
      0,
      (slot % perRow) * cell,
      Math.floor(slot / perRow) * cell,
      gl.RGBA,
      gl.UNSIGNED_BYTE,
      this.scratch,
    );
    level.slots.markLoaded(index, slot);
    this.uploads++;
  }

  destroy(): void {
    const gl = this.gl;
    for (const level of this.levels) gl.deleteTexture(level.texture);
    gl.deleteBuffer(this.positionBuffer);
    gl.deleteBuffer(this.cellBuffer);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
    this.queue.length = 0;
  }
}
