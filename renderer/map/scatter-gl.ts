/**
 * A WebGL2 scatter plot for the map: one draw call for all points (100,000 stay interactive), zoom
 * on the wheel, pan by dragging, hover by a grid index, lasso by polygon. Written on plain WebGL2
 * because the maintained WebGL scatter libraries compile JavaScript at run time (`Function()`),
 * which the app's Content-Security-Policy forbids.
 *
 * While the view moves, the dots are not drawn again: their last full rendering (kept in a texture
 * the size of the canvas) is copied scaled and shifted by the change of view, and the dots are
 * drawn anew once the view has been still for SETTLE_MS, or at once when points, colours, the
 * filter or the selection change. On software WebGL (SwiftShader) rasterising 100,000 dots takes
 * 150–200 ms; the copy takes a few. Thumbnails and the hovered point are drawn live every frame.
 */

import { DotLayerCache, type ViewTransform } from './dot-layer-cache.ts';
import { linkProgram } from './gl-program.ts';
import { PhotoLayer } from './photo-layer.ts';

export interface ScatterCallbacks {
  onHover(index: number | null, clientX: number, clientY: number): void;
  onClick(index: number): void;
  onLasso(indices: number[]): void;
  /** The view moved or zoomed (labels placed over the map follow it). */
  onView?(): void;
}

/** The thumbnails of points, drawn over them when zoomed in (see photo-layer.ts). */
export interface PhotoSource {
  imageIdAt(index: number): number;
  urlOf(imageId: number): string;
}

/** Frame times the map measured (for the e2e measurement at 100,000 points). */
export interface FrameStats {
  frames: number;
  /** Between consecutive frames while the view moves (requestAnimationFrame timestamps). */
  intervalMedianMs: number;
  intervalP95Ms: number;
  /** JavaScript time of one draw call (the GPU's share runs in Chromium's GPU process). */
  drawMedianMs: number;
  drawP95Ms: number;
  /** Thumbnails drawn per frame while measuring: the median, and the fewest of any frame. */
  photosDrawn: number;
  photosDrawnFewest: number;
  /** Frames that drew every dot anew (the rest copied the last rendering, moved). */
  fullRedraws: number;
  /** Thumbnails decoded into the atlases so far. */
  thumbnailsLoaded: number;
  atlasBytes: number;
  /** GPU memory of the dots' rendering kept for moving frames (one canvas-sized RGBA texture). */
  dotCacheBytes: number;
  /** How large a photo is on screen at the end, in CSS pixels. */
  photoPixels: number;
}

const VERTEX = `#version 300 es
in vec2 position;
in vec3 color;
in float selected;
in float visible;
uniform vec2 scale;
uniform vec2 offset;
uniform float pointSize;
uniform float anySelected;
uniform float highlight;
out vec4 vColor;
void main() {
  // Points outside the filter leave the clip volume: not drawn, not blended.
  gl_Position = visible > 0.5 ? vec4(position * scale + offset, 0.0, 1.0) : vec4(2.0, 2.0, 2.0, 1.0);
  float grow = highlight > 0.5 ? 2.4 : (selected > 0.5 ? 1.35 : 1.0);
  gl_PointSize = pointSize * grow;
  // Outside a selection, points fade toward slate: still there, clearly not chosen.
  bool dimmed = anySelected > 0.5 && selected < 0.5;
  vec3 shown = dimmed ? mix(color, vec3(0.55, 0.58, 0.65), 0.6) : color;
  vColor = vec4(highlight > 0.5 ? vec3(1.0) : shown, highlight > 0.5 ? 1.0 : (dimmed ? 0.7 : 0.92));
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 vColor;
out vec4 outColor;
void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r = dot(c, c);
  if (r > 1.0) discard;
  outColor = vec4(vColor.rgb, vColor.a * smoothstep(1.0, 0.7, r));
}`;

const GRID = 96;
/**
 * How long the view must be still before the dots are drawn anew: longer than the gap between
 * wheel or drag events (so a gesture stays on the fast path), short enough to read as immediate.
 */
const SETTLE_MS = 120;

export class ScatterPlot {
  private readonly gl: WebGL2RenderingContext;
  private readonly program: WebGLProgram;
  private readonly buffers: {
    position: WebGLBuffer;
    color: WebGLBuffer;
    selected: WebGLBuffer;
    visible: WebGLBuffer;
  };
  private readonly vao: WebGLVertexArrayObject;
  private positions = new Float32Array(0);
  private centreX = 0;
  private centreY = 0;
  private halfSpan = 1;
  private selected = new Uint8Array(0);
  /** 1 where a point passes the filter; hidden points are neither drawn, hovered nor lassoed. */
  private visible = new Uint8Array(0);
  private count = 0;
  private zoom = 1;
  private panX = 0;
  private panY = 0;
  private hovered: number | null = null;
  /** A point shown as if hovered (the photo under review). */
  private highlighted: number | null = null;
  private anySelected = false;
  private grid: Int32Array[] = [];
  private frame = 0;
  private drag: { x: number; y: number; panX: number; panY: number; moved: boolean } | null = null;
  private lasso: { x: number; y: number }[] | null = null;
  lassoMode = false;
  /** The lasso overlay holds a drawing that the next frame must clear. */
  private overlayDirty = false;
  private readonly detach: () => void;
  private photos: PhotoLayer | null = null;
  /** Side of a photo in data units: about one point's share of the map, capped for small libraries. */
  private photoSize = 0.08;
  /** Last draw durations in ms (ring of 240), for measurements. */
  private readonly drawTimes: number[] = [];
  private readonly dotCache: DotLayerCache;
  /** When the view last moved (performance.now()); frames within SETTLE_MS of it copy the dots. */
  private lastMove = Number.NEGATIVE_INFINITY;
  private settleTimer = 0;
  /** Frames that drew every dot (counted for measurements). */
  private fullRedraws = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly overlay: HTMLCanvasElement,
    private readonly callbacks: ScatterCallbacks,
  ) {
    // No multisampling: the dots have soft edges of their own (smoothstep) and the thumbnails are
    // axis-aligned squares, so 4× MSAA only multiplied the rasterising. In Chromium's software
    // WebGL (SwiftShader), 100,000 dots drew in 480–570 ms with it and 150–200 ms without (the
    // same page, a standalone measurement); the lasso is on its own 2-D canvas.
    const gl = canvas.getContext('webgl2', { antialias: false, premultipliedAlpha: false });
    if (!gl) throw new Error('WebGL2 is not available in this window.');
    this.gl = gl;
    this.program = linkProgram(gl, VERTEX, FRAGMENT);
    const buffer = () => {
      const b = gl.createBuffer();
      if (!b) throw new Error('WebGL could not allocate a buffer.');
      return b;
    };
    this.buffers = { position: buffer(), color: buffer(), selected: buffer(), visible: buffer() };
    const vao = gl.createVertexArray();
    if (!vao) throw new Error('WebGL could not allocate a vertex array.');
    this.vao = vao;
    gl.bindVertexArray(vao);
    this.attribute('position', this.buffers.position, 2, gl.FLOAT, false);
    this.attribute('color', this.buffers.color, 3, gl.UNSIGNED_BYTE, true);
    this.attribute('selected', this.buffers.selected, 1, gl.UNSIGNED_BYTE, false);
    this.attribute('visible', this.buffers.visible, 1, gl.UNSIGNED_BYTE, false);
    gl.bindVertexArray(null);
    this.dotCache = new DotLayerCache(gl);
    this.detach = this.listen();
  }

  /** Turns on photos-as-points: zoomed in, each point on screen is drawn as its thumbnail. */
  showPhotos(source: PhotoSource): void {
    this.photos?.destroy();
    this.photos = new PhotoLayer(this.gl, source.imageIdAt, source.urlOf, () => this.requestDraw());
    this.requestDraw();
  }

  /** How large a photo is on screen now, in CSS pixels (dots below PHOTO_MIN_PIXELS). */
  get photoPixels(): number {
    const side = Math.min(this.canvas.clientWidth, this.canvas.clientHeight);
    return (this.photoSize * this.zoom * side) / 2;
  }

  get zoomLevel(): number {
    return this.zoom;
  }

  /** Zooms by a factor about the view's centre (buttons, tests, measurements). */
  zoomBy(factor: number): void {
    this.zoomAboutCentre(factor);
    this.requestDraw();
  }

  /**
   * The pan is in zoomed units (screen = position·zoom + pan), so the view's centre stays put only
   * if the pan scales with the zoom; without it, zooming in far slid the view across the map.
   */
  private zoomAboutCentre(factor: number): void {
    const zoom = Math.min(400, Math.max(0.5, this.zoom * factor));
    this.panX *= zoom / this.zoom;
    this.panY *= zoom / this.zoom;
    this.zoom = zoom;
  }

  /** Centres the view on data point `index` at a zoom. */
  focus(index: number, zoom: number): void {
    this.zoom = Math.min(400, Math.max(0.5, zoom));
    this.panX = -this.positions[2 * index] * this.zoom;
    this.panY = -this.positions[2 * index + 1] * this.zoom;
    this.requestDraw();
  }

  /** Where data coordinates (as given to setPoints) are on screen, relative to the canvas. */
  dataToLocal(x: number, y: number): { x: number; y: number } {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    const { sx, sy, ox, oy } = this.transform(width, height);
    const clipX = ((x - this.centreX) / this.halfSpan) * sx + ox;
    const clipY = ((y - this.centreY) / this.halfSpan) * sy + oy;
    return { x: ((clipX + 1) / 2) * width, y: ((1 - clipY) / 2) * height };
  }

  /**
   * Moves the view for `frames` animation frames (a pan and zoom path) and reports the frame
   * intervals and draw times: the map's smoothness, measured where it runs.
   */
  async measureFrames(frames: number): Promise<FrameStats> {
    const intervals: number[] = [];
    this.drawTimes.length = 0;
    const view = { zoom: this.zoom, panX: this.panX, panY: this.panY };
    const photosPerFrame: number[] = [];
    const fullBefore = this.fullRedraws;
    let last = await nextFrame();
    for (let f = 0; f < frames; f++) {
      // A slow circle of 1 % of the view per frame: the same stretch of map stays on screen.
      this.panX += Math.cos(f / 20) * 0.01;
      this.panY += Math.sin(f / 20) * 0.01;
      this.zoomAboutCentre(f % 60 < 30 ? 1.01 : 1 / 1.01);
      this.moved();
      const now = await nextFrame();
      intervals.push(now - last);
      last = now;
      photosPerFrame.push(this.photos?.drawn ?? 0);
    }
    const draws = [...this.drawTimes];
    const drawn = frames > 0 ? quantile(photosPerFrame, 0.5) : (this.photos?.drawn ?? 0);
    const fewest = frames > 0 ? quantile(photosPerFrame, 0) : drawn;
    const fullRedraws = this.fullRedraws - fullBefore;
    // Back where it started: a measurement does not move the person's view.
    Object.assign(this, view);
    this.requestDraw();
    return {
      frames,
      intervalMedianMs: quantile(intervals, 0.5),
      intervalP95Ms: quantile(intervals, 0.95),
      drawMedianMs: quantile(draws, 0.5),
      drawP95Ms: quantile(draws, 0.95),
      photosDrawn: drawn,
      photosDrawnFewest: fewest,
      fullRedraws,
      thumbnailsLoaded: this.photos?.uploads ?? 0,
      atlasBytes: this.photos?.atlasBytes ?? 0,
      dotCacheBytes: this.dotCache.bytes,
      photoPixels: this.photoPixels,
    };
  }

  /** x, y in any units (fitted to the view); colours as RGB bytes per point. */
  setPoints(xs: Float32Array, ys: Float32Array, colors: Uint8Array): void {
    const gl = this.gl;
    this.count = xs.length;
    let minX = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < xs.length; i++) {
      minX = Math.min(minX, xs[i]);
      maxX = Math.max(maxX, xs[i]);
      minY = Math.min(minY, ys[i]);
      maxY = Math.max(maxY, ys[i]);
    }
    const half = Math.max(maxX - minX, maxY - minY, 1e-9) / 2 / 0.92;
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    this.centreX = cx;
    this.centreY = cy;
    this.halfSpan = half;
    this.photoSize = Math.min(0.08, 1.8 / Math.sqrt(Math.max(1, xs.length)));
    this.positions = new Float32Array(xs.length * 2);
    for (let i = 0; i < xs.length; i++) {
      this.positions[2 * i] = (xs[i] - cx) / half;
      this.positions[2 * i + 1] = (ys[i] - cy) / half;
    }
    this.selected = new Uint8Array(xs.length);
    this.anySelected = false;
    this.hovered = null;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.position);
    gl.bufferData(gl.ARRAY_BUFFER, this.positions, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.color);
    gl.bufferData(gl.ARRAY_BUFFER, colors, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.selected);
    gl.bufferData(gl.ARRAY_BUFFER, this.selected, gl.DYNAMIC_DRAW);
    this.visible = new Uint8Array(xs.length).fill(1);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.visible);
    gl.bufferData(gl.ARRAY_BUFFER, this.visible, gl.DYNAMIC_DRAW);
    this.buildGrid();
    this.invalidateDots();
    this.resetView();
  }

  setSelection(indices: number[]): void {
    this.selected.fill(0);
    for (const index of indices) this.selected[index] = 1;
    this.anySelected = indices.length > 0;
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.selected);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, this.selected);
    this.invalidateDots();
    this.requestDraw();
  }

  /** New colours (RGB bytes per point), e.g. when colouring by folder instead of cluster. */
  setColors(colors: Uint8Array): void {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.color);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, colors);
    this.invalidateDots();
    this.requestDraw();
  }

  /** Which points pass the filter (null: all). */
  setVisible(mask: Uint8Array | null): void {
    if (mask) this.visible.set(mask);
    else this.visible.fill(1);
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffers.visible);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, this.visible);
    this.invalidateDots();
    this.requestDraw();
  }

  setHighlight(index: number | null): void {
    this.highlighted = index;
    this.requestDraw();
  }

  isVisible(index: number): boolean {
    return this.visible[index] === 1;
  }

  resetView(): void {
    this.zoom = 1;
    this.panX = 0;
    this.panY = 0;
    this.requestDraw();
  }

  /** Where point `index` is on screen (client coordinates), for tests and tooltips. */
  screenPosition(index: number): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    const { sx, sy, ox, oy } = this.transform(rect.width, rect.height);
    const clipX = this.positions[2 * index] * sx + ox;
    const clipY = this.positions[2 * index + 1] * sy + oy;
    return { x: rect.left + ((clipX + 1) / 2) * rect.width, y: rect.top + ((1 - clipY) / 2) * rect.height };
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.settleTimer);
    this.photos?.destroy();
    this.dotCache.destroy();
    this.detach();
    const gl = this.gl;
    gl.deleteBuffer(this.buffers.position);
    gl.deleteBuffer(this.buffers.color);
    gl.deleteBuffer(this.buffers.selected);
    gl.deleteBuffer(this.buffers.visible);
    gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
  }

  requestDraw(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  /** The view moves (a wheel, a drag, a measured path): the next frames may copy the dots. */
  private moved(): void {
    this.lastMove = performance.now();
    this.requestDraw();
  }

  /** Points, colours, the filter or the selection changed: the kept rendering is out of date. */
  private invalidateDots(): void {
    this.dotCache.valid = false;
  }

  private attribute(name: string, buffer: WebGLBuffer, size: number, type: number, normalized: boolean) {
    const gl = this.gl;
    const location = gl.getAttribLocation(this.program, name);
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.enableVertexAttribArray(location);
    gl.vertexAttribPointer(location, size, type, normalized, 0, 0);
  }

  private transform(width: number, height: number) {
    const side = Math.min(width, height);
    return {
      sx: (this.zoom * side) / width,
      sy: (this.zoom * side) / height,
      ox: (this.panX * side) / width,
      oy: (this.panY * side) / height,
    };
  }

  private draw(): void {
    const started = performance.now();
    const gl = this.gl;
    const ratio = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (
      this.canvas.width !== Math.round(width * ratio) ||
      this.canvas.height !== Math.round(height * ratio)
    ) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
      this.overlay.width = this.canvas.width;
      this.overlay.height = this.canvas.height;
    }
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    const view = this.transform(width, height);
    const cache = this.dotCache;
    const sinceMove = started - this.lastMove;
    const moving = sinceMove < SETTLE_MS && cache.usableFor(this.canvas.width, this.canvas.height);
    if (moving) {
      // The dots are drawn anew once the view has been still for SETTLE_MS.
      clearTimeout(this.settleTimer);
      this.settleTimer = window.setTimeout(() => this.requestDraw(), SETTLE_MS - sinceMove + 1);
    } else {
      cache.beginCapture(this.canvas.width, this.canvas.height, view);
      this.drawDots(view, ratio);
      cache.endCapture();
      gl.viewport(0, 0, this.canvas.width, this.canvas.height);
      this.fullRedraws++;
    }
    cache.draw(view);
    this.drawOver(view, ratio);
    this.drawLasso(ratio);
    this.drawTimes.push(performance.now() - started);
    if (this.drawTimes.length > 240) this.drawTimes.shift();
    this.callbacks.onView?.();
  }

  /** Every dot, into whatever framebuffer is bound. */
  private drawDots(view: ViewTransform, ratio: number): void {
    const gl = this.gl;
    gl.enable(gl.BLEND);
    // Colour blends by alpha; the canvas's own alpha accumulates (not squared), so dimmed points stay visible.
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    this.bindPointProgram(view, ratio, false);
    gl.drawArrays(gl.POINTS, 0, this.count);
    gl.bindVertexArray(null);
  }

  /** What is drawn live over the dots every frame: thumbnails, the highlighted and hovered points. */
  private drawOver(view: ViewTransform, ratio: number): void {
    const gl = this.gl;
    const pixels = this.photoPixels;
    gl.enable(gl.BLEND);
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    if (this.photos && PhotoLayer.levelFor(pixels) >= 0)
      this.photos.draw(this.onScreen(), this.positions, view, pixels, ratio);
    const marked = [this.highlighted, this.hovered].filter(
      (index): index is number => index !== null && index < this.count,
    );
    if (marked.length === 0) return;
    this.bindPointProgram(view, ratio, true);
    for (const index of marked) gl.drawArrays(gl.POINTS, index, 1);
    gl.bindVertexArray(null);
  }

  /** The point program and its vertex array bound, its uniforms set for this view. */
  private bindPointProgram(view: ViewTransform, ratio: number, highlight: boolean): void {
    const gl = this.gl;
    // biome-ignore lint/correctness/useHookAtTopLevel: WebGL's useProgram, not a React hook.
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    const uniform = (name: string) => gl.getUniformLocation(this.program, name);
    gl.uniform2f(uniform('scale'), view.sx, view.sy);
    gl.uniform2f(uniform('offset'), view.ox, view.oy);
    gl.uniform1f(uniform('pointSize'), this.pointSize() * ratio);
    gl.uniform1f(uniform('anySelected'), this.anySelected ? 1 : 0);
    gl.uniform1f(uniform('highlight'), highlight ? 1 : 0);
  }

  /** Points grow a little with zoom so that clusters read as areas when seen whole and as photos up close. */
  private pointSize(): number {
    return (
      Math.max(2.5, Math.min(9, 900 / Math.sqrt(Math.max(this.count, 1)))) *
      Math.min(2.2, Math.sqrt(this.zoom))
    );
  }

  /** Visible points inside the view, nearest its centre first (they get thumbnails first). */
  private onScreen(): Int32Array {
    const topLeft = this.toData(0, 0);
    const bottomRight = this.toData(this.canvas.clientWidth, this.canvas.clientHeight);
    const margin = this.photoSize;
    const x0 = Math.min(topLeft.x, bottomRight.x) - margin;
    const x1 = Math.max(topLeft.x, bottomRight.x) + margin;
    const y0 = Math.min(topLeft.y, bottomRight.y) - margin;
    const y1 = Math.max(topLeft.y, bottomRight.y) + margin;
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const g0 = this.cellOf(x0, y0);
    const g1 = this.cellOf(x1, y1);
    const found: number[] = [];
    for (let gy = Math.floor(g0 / GRID); gy <= Math.floor(g1 / GRID); gy++) {
      for (let gx = g0 % GRID; gx <= g1 % GRID; gx++) {
        for (const i of this.grid[gy * GRID + gx]) {
          if (!this.visible[i]) continue;
          const x = this.positions[2 * i];
          const y = this.positions[2 * i + 1];
          if (x >= x0 && x <= x1 && y >= y0 && y <= y1) found.push(i);
        }
      }
    }
    return nearestFirst(found, this.positions, cx, cy);
  }

  private drawLasso(ratio: number): void {
    const drawing = this.lasso !== null && this.lasso.length >= 2;
    // An empty overlay stays untouched: clearing it every frame made the compositor redo the layer.
    if (!drawing && !this.overlayDirty) return;
    const context = this.overlay.getContext('2d');
    if (!context) return;
    context.clearRect(0, 0, this.overlay.width, this.overlay.height);
    this.overlayDirty = drawing;
    if (!this.lasso || !drawing) return;
    context.beginPath();
    for (const [i, p] of this.lasso.entries()) {
      if (i === 0) context.moveTo(p.x * ratio, p.y * ratio);
      else context.lineTo(p.x * ratio, p.y * ratio);
    }
    context.closePath();
    context.fillStyle = 'rgba(125, 211, 252, 0.12)';
    context.strokeStyle = 'rgba(125, 211, 252, 0.9)';
    context.lineWidth = 1.5 * ratio;
    context.setLineDash([6 * ratio, 4 * ratio]);
    context.fill();
    context.stroke();
  }

  private toData(localX: number, localY: number): { x: number; y: number } {
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    const { sx, sy, ox, oy } = this.transform(width, height);
    const clipX = (localX / width) * 2 - 1;
    const clipY = 1 - (localY / height) * 2;
    return { x: (clipX - ox) / sx, y: (clipY - oy) / sy };
  }

  private buildGrid(): void {
    const buckets: number[][] = Array.from({ length: GRID * GRID }, () => []);
    for (let i = 0; i < this.count; i++)
      buckets[this.cellOf(this.positions[2 * i], this.positions[2 * i + 1])].push(i);
    this.grid = buckets.map((bucket) => Int32Array.from(bucket));
  }

  private cellOf(x: number, y: number): number {
    const cx = Math.min(GRID - 1, Math.max(0, Math.floor(((x + 1) / 2) * GRID)));
    const cy = Math.min(GRID - 1, Math.max(0, Math.floor(((y + 1) / 2) * GRID)));
    return cy * GRID + cx;
  }

  /** The point nearest to a screen position, within a few pixels. */
  private pick(localX: number, localY: number): number | null {
    const side = Math.min(this.canvas.clientWidth, this.canvas.clientHeight);
    const radius = 10 / ((this.zoom * side) / 2);
    const p = this.toData(localX, localY);
    const span = Math.ceil((radius / 2) * GRID) + 1;
    const cx = Math.floor(((p.x + 1) / 2) * GRID);
    const cy = Math.floor(((p.y + 1) / 2) * GRID);
    let best: number | null = null;
    let bestDistance = radius * radius;
    for (let gy = Math.max(0, cy - span); gy <= Math.min(GRID - 1, cy + span); gy++) {
      for (let gx = Math.max(0, cx - span); gx <= Math.min(GRID - 1, cx + span); gx++) {
        for (const i of this.grid[gy * GRID + gx]) {
          if (!this.visible[i]) continue;
          const dx = this.positions[2 * i] - p.x;
          const dy = this.positions[2 * i + 1] - p.y;
          const distance = dx * dx + dy * dy;
          if (distance <= bestDistance) {
            bestDistance = distance;
            best = i;
          }
        }
      }
    }
    return best;
  }

  private select(polygon: { x: number; y: number }[]): number[] {
    const points = polygon.map((p) => this.toData(p.x, p.y));
    let minX = Number.POSITIVE_INFINITY;
    let maxX = Number.NEGATIVE_INFINITY;
    let minY = Number.POSITIVE_INFINITY;
    let maxY = Number.NEGATIVE_INFINITY;
    for (const p of points) {
      minX = Math.min(minX, p.x);
      maxX = Math.max(maxX, p.x);
      minY = Math.min(minY, p.y);
      maxY = Math.max(maxY, p.y);
    }
    const inside: number[] = [];
    for (let i = 0; i < this.count; i++) {
      if (!this.visible[i]) continue;
      const x = this.positions[2 * i];
      const y = this.positions[2 * i + 1];
      if (x < minX || x > maxX || y < minY || y > maxY) continue;
      let hit = false;
      for (let a = 0, b = points.length - 1; a < points.length; b = a++) {
        const pa = points[a];
        const pb = points[b];
        if (pa.y > y !== pb.y > y && x < ((pb.x - pa.x) * (y - pa.y)) / (pb.y - pa.y) + pa.x) hit = !hit;
      }
      if (hit) inside.push(i);
    }
    return inside;
  }

  private listen(): () => void {
    const canvas = this.canvas;
    const local = (event: MouseEvent) => {
      const rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    };
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const at = local(event);
      const before = this.toData(at.x, at.y);
      this.zoom = Math.min(400, Math.max(0.5, this.zoom * Math.exp(-event.deltaY * 0.0015)));
      const after = this.toData(at.x, at.y);
      this.panX += (after.x - before.x) * this.zoom;
      this.panY += (after.y - before.y) * this.zoom;
      this.moved();
    };
    const onDown = (event: PointerEvent) => {
      if (event.button !== 0) return;
      canvas.setPointerCapture(event.pointerId);
      const at = local(event);
      if (this.lassoMode || event.shiftKey) {
        this.lasso = [at];
      } else {
        this.drag = { x: at.x, y: at.y, panX: this.panX, panY: this.panY, moved: false };
      }
    };
    const onMove = (event: PointerEvent) => {
      const at = local(event);
      if (this.lasso) {
        this.lasso.push(at);
        this.requestDraw();
        return;
      }
      if (this.drag) {
        const side = Math.min(canvas.clientWidth, canvas.clientHeight);
        const dx = at.x - this.drag.x;
        const dy = at.y - this.drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
        if (this.drag.moved) {
          this.panX = this.drag.panX + (dx / side) * 2;
          this.panY = this.drag.panY - (dy / side) * 2;
          this.moved();
          return;
        }
      }
      const index = this.pick(at.x, at.y);
      if (index !== this.hovered) {
        this.hovered = index;
        this.requestDraw();
      }
      this.callbacks.onHover(index, event.clientX, event.clientY);
    };
    const onUp = (event: PointerEvent) => {
      if (this.lasso) {
        const polygon = this.lasso;
        this.lasso = null;
        this.requestDraw();
        if (polygon.length > 2) this.callbacks.onLasso(this.select(polygon));
        return;
      }
      const drag = this.drag;
      this.drag = null;
      if (drag && !drag.moved) {
        const at = local(event);
        const index = this.pick(at.x, at.y);
        if (index !== null) this.callbacks.onClick(index);
      }
    };
    const onLeave = () => {
      this.hovered = null;
      this.requestDraw();
      this.callbacks.onHover(null, 0, 0);
    };
    const observer = new ResizeObserver(() => this.requestDraw());
    observer.observe(canvas);
    canvas.addEventListener('wheel', onWheel, { passive: false });
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('pointerleave', onLeave);
    return () => {
      observer.disconnect();
      canvas.removeEventListener('wheel', onWheel);
      canvas.removeEventListener('pointerdown', onDown);
      canvas.removeEventListener('pointermove', onMove);
      canvas.removeEventListener('pointerup', onUp);
      canvas.removeEventListener('pointerleave', onLeave);
    };
  }
}

/**
 * Points ordered by distance from (cx, cy) in RINGS rings of equal area (a counting sort: linear,
 * where sorting a few thousand points on screen with a comparator took 2–3 ms a frame). Within a
 * ring the order is the input's; for "nearest the centre first" a ring is close enough.
 */
export function nearestFirst(points: number[], positions: Float32Array, cx: number, cy: number): Int32Array {
  const n = points.length;
  const squared = new Float64Array(n);
  let farthest = 0;
  for (let k = 0; k < n; k++) {
    const i = points[k];
    squared[k] = (positions[2 * i] - cx) ** 2 + (positions[2 * i + 1] - cy) ** 2;
    if (squared[k] > farthest) farthest = squared[k];
  }
  const ringOf = (d: number) => (farthest > 0 ? Math.min(RINGS - 1, Math.floor((d / farthest) * RINGS)) : 0);
  const starts = new Int32Array(RINGS + 1);
  for (let k = 0; k < n; k++) starts[ringOf(squared[k]) + 1]++;
  for (let r = 0; r < RINGS; r++) starts[r + 1] += starts[r];
  const ordered = new Int32Array(n);
  for (let k = 0; k < n; k++) ordered[starts[ringOf(squared[k])]++] = points[k];
  return ordered;
}

/** Rings of nearestFirst: at 1,000 points on screen, about 4 to a ring. */
const RINGS = 256;

function nextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(resolve));
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Distinct colours for clusters (Tableau 20 order); the noise group is grey. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#a0cbe8',
  '#ffbe7d',
  '#ff9d9a',
  '#86bcb6',
  '#8cd17d',
  '#f1ce63',
  '#d4a6c8',
  '#fabfd2',
  '#d7b5a6',
  '#79706e',
];

export function clusterColor(cluster: number): string {
  return cluster < 0 ? '#5b6170' : PALETTE[cluster % PALETTE.length];
}

export function clusterColorBytes(cluster: number): [number, number, number] {
  const hex = clusterColor(cluster);
  return [
    Number.parseInt(hex.slice(1, 3), 16),
    Number.parseInt(hex.slice(3, 5), 16),
    Number.parseInt(hex.slice(5, 7), 16),
  ];
}
