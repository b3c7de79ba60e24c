/**
 * The map's dots as last drawn in full, kept in a canvas-sized texture so that frames where the
 * view moves copy it (scaled and shifted by the change of view, one textured quad) instead of
 * rasterising every dot again. On software WebGL (SwiftShader), 100,000 dots take 150–200 ms to
 * draw and the copy a few: what makes panning and zooming smooth there. The copy is exact while
 * the view is where it was drawn and slightly soft while it zooms, until the map draws anew.
 */

import { linkProgram } from './gl-program.ts';
import { createLinearTexture } from './gl-texture.ts';

export interface ViewTransform {
  sx: number;
  sy: number;
  ox: number;
  oy: number;
}

const VERTEX = `#version 300 es
uniform vec2 scale;
uniform vec2 offset;
out vec2 uv;
void main() {
  // Four corners of a strip from the vertex number: no buffer to keep.
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  uv = corner;
  gl_Position = vec4((corner * 2.0 - 1.0) * scale + offset, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision highp float;
in vec2 uv;
uniform sampler2D layer;
out vec4 outColor;
void main() {
  outColor = texture(layer, uv);
}`;

export class DotLayerCache {
  private readonly program: WebGLProgram;
  private texture: WebGLTexture | null = null;
  private framebuffer: WebGLFramebuffer | null = null;
  width = 0;
  height = 0;
  /** The view the kept rendering was drawn at. */
  private view: ViewTransform = { sx: 1, sy: 1, ox: 0, oy: 0 };
  /** False until drawn, and again when points, colours, the filter or the selection change. */
  valid = false;

  constructor(private readonly gl: WebGL2RenderingContext) {
    this.program = linkProgram(gl, VERTEX, FRAGMENT);
  }

  /** GPU memory held (one RGBA texture the size of the canvas). */
  get bytes(): number {
    return this.width * this.height * 4;
  }

  /** Binds the texture as the target for a full drawing of the dots at `view` (cleared). */
  beginCapture(width: number, height: number, view: ViewTransform): void {
    const gl = this.gl;
    if (width !== this.width || height !== this.height || !this.texture) this.allocate(width, height);
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.framebuffer);
    gl.viewport(0, 0, width, height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    this.view = view;
  }

  endCapture(): void {
    this.gl.bindFramebuffer(this.gl.FRAMEBUFFER, null);
    this.valid = true;
  }

  /** Whether the kept rendering can stand in for the dots on a canvas of this size. */
  usableFor(width: number, height: number): boolean {
    return this.valid && width === this.width && height === this.height;
  }

  /**
   * Copies the kept rendering onto the bound framebuffer as seen from `view` (blending off: it
   * replaces what is there). A point at clip x was drawn at x·sx₀ + ox₀ and belongs at x·sx + ox.
   */
  draw(view: ViewTransform): void {
    const gl = this.gl;
    const kx = view.sx / this.view.sx;
    const ky = view.sy / this.view.sy;
    gl.disable(gl.BLEND);
    // biome-ignore lint/correctness/useHookAtTopLevel: WebGL's useProgram, not a React hook.
    gl.useProgram(this.program);
    gl.bindVertexArray(null);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.uniform1i(gl.getUniformLocation(this.program, 'layer'), 0);
    gl.uniform2f(gl.getUniformLocation(this.program, 'scale'), kx, ky);
    gl.uniform2f(
      gl.getUniformLocation(this.program, 'offset'),
      view.ox - this.view.ox * kx,
      view.oy - this.view.oy * ky,
    );
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  destroy(): void {
    const gl = this.gl;
    gl.deleteFramebuffer(this.framebuffer);
    gl.deleteTexture(this.texture);
    gl.deleteProgram(this.program);
  }

  private allocate(width: number, height: number): void {
    const gl = this.gl;
    gl.deleteFramebuffer(this.framebuffer);
    gl.deleteTexture(this.texture);
    const texture = createLinearTexture(gl, width, height);
    const framebuffer = gl.createFramebuffer();
    if (!framebuffer) throw new Error('WebGL could not allocate the map layer.');
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    this.texture = texture;
    this.framebuffer = framebuffer;
    this.width = width;
    this.height = height;
    this.valid = false;
  }
}
