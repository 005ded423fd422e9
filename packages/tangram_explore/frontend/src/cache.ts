/**
 * A layer drawn once into a texture three viewports wide and high, then, while the map
 * only pans, shown by one textured quad moved with the view: with software WebGL
 * (headless Chromium, machines without a GPU) a million points cost hundreds of
 * milliseconds a frame, a quad a few. Drawn again when the zoom, bearing or pitch
 * change, when a pan leaves the texture, or after a pan (recentred once the map
 * stops moving).
 */
import { createProgram } from "@tangram/api";
import { attribute, buffer, type GL } from "./gl";

const VERTEX = `
attribute vec2 a_pos;
uniform vec2 u_shift;
uniform float u_scale;
varying vec2 v_uv;
void main() {
  v_uv = a_pos * 0.5 + 0.5;
  gl_Position = vec4(a_pos * u_scale + u_shift, 0.0, 1.0);
}`;

const FRAGMENT = `
precision mediump float;
uniform sampler2D u_texture;
varying vec2 v_uv;
void main() {
  gl_FragColor = texture2D(u_texture, v_uv);
}`;

/** Viewports covered by the texture, across and down. */
const SCALE = 3;

function ndc(m: Float32Array, x: number, y: number): [number, number] {
  const w = m[3] * x + m[7] * y + m[15];
  return [(m[0] * x + m[4] * y + m[12]) / w, (m[1] * x + m[5] * y + m[13]) / w];
}

export class RasterCache {
  private texture: WebGLTexture | null = null;
  private framebuffer: WebGLFramebuffer | null = null;
  private quad: WebGLBuffer | null = null;
  private program: WebGLProgram | null = null;
  private size: [number, number] = [0, 0];
  /** The matrix the texture was drawn with, or null when it must be drawn again. */
  private drawnWith: Float32Array | null = null;
  private shift: [number, number] = [0, 0];

  /** The clip-space shift from the texture's matrix to `matrix`, if only a pan apart. */
  private offset(matrix: Float32Array): [number, number] | null {
    const was = this.drawnWith;
    if (!was) return null;
    const probes: [number, number][] = [
      [0.5, 0.5],
      [0.5 + 1e-3, 0.5],
      [0.5, 0.5 + 1e-3],
    ];
    const now = probes.map(([x, y]) => ndc(matrix, x, y));
    const then = probes.map(([x, y]) => ndc(was, x, y));
    const dx = now[0][0] - then[0][0];
    const dy = now[0][1] - then[0][1];
    for (let i = 1; i < 3; i++) {
      // The same steps for the same mercator steps: neither zoomed nor turned.
      for (let axis = 0; axis < 2; axis++) {
        const step = then[i][axis] - then[0][axis];
        const error = now[i][axis] - now[0][axis] - step;
        if (Math.abs(error) > 1e-5 * Math.abs(step) + 1e-9) return null;
      }
    }
    // The viewport ([-1, 1] in clip space) must stay inside the texture.
    const room = SCALE - 1;
    return Math.abs(dx) <= room && Math.abs(dy) <= room ? [dx, dy] : null;
  }

  /** Forget the texture when the map has come to rest away from its centre. */
  settle(matrix: Float32Array): boolean {
    const shift = this.offset(matrix);
    if (shift && Math.abs(shift[0]) < 0.5 && Math.abs(shift[1]) < 0.5) return false;
    this.drawnWith = null;
    return true;
  }

  invalidate(): void {
    this.drawnWith = null;
  }

  /**
   * In the layer's prerender: draw into the texture with `draw(matrix)` if needed.
   * Returns false when the cache cannot be used (pitch, texture too large): then the
   * layer draws directly.
   */
  prepare(gl: GL, matrix: Float32Array, pitched: boolean, draw: (matrix: Float32Array) => void): boolean {
    const width = gl.drawingBufferWidth * SCALE;
    const height = gl.drawingBufferHeight * SCALE;
    const limit = Math.min(gl.getParameter(gl.MAX_TEXTURE_SIZE), gl.getParameter(gl.MAX_RENDERBUFFER_SIZE));
    if (pitched || width > limit || height > limit) {
      this.drawnWith = null;
      return false;
    }
    const shift = this.offset(matrix);
    if (shift && this.size[0] === width && this.size[1] === height) {
      this.shift = shift;
      return true;
    }
    this.allocate(gl, width, height);
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.framebuffer);
    gl.viewport(0, 0, width, height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.disable(gl.DEPTH_TEST);
    gl.disable(gl.STENCIL_TEST);
    const scaled = new Float32Array(matrix);
    for (let c = 0; c < 4; c++) {
      scaled[4 * c] /= SCALE;
      scaled[4 * c + 1] /= SCALE;
    }
    draw(scaled);
    this.drawnWith = new Float32Array(matrix);
    this.shift = [0, 0];
    return true;
  }

  /** In the layer's render: the texture, shifted with the view. */
  render(gl: GL): void {
    const prog = this.program;
    if (!prog || !this.quad || !this.texture) return;
    gl.useProgram(prog);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.uniform1i(gl.getUniformLocation(prog, "u_texture"), 0);
    gl.uniform2f(gl.getUniformLocation(prog, "u_shift"), ...this.shift);
    gl.uniform1f(gl.getUniformLocation(prog, "u_scale"), SCALE);
    attribute(gl, prog, "a_pos", this.quad, 2);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA); // the texture holds premultiplied colours
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }

  private allocate(gl: GL, width: number, height: number): void {
    if (!this.program) {
      this.program = createProgram(gl, VERTEX, FRAGMENT);
      this.quad = buffer(gl, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]));
    }
    if (this.size[0] === width && this.size[1] === height && this.texture) return;
    this.release(gl, false);
    this.texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, width, height, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
    // Whole pixels, shifted by whole or fractional pixels: nearest keeps points sharp.
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    this.framebuffer = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, this.texture, 0);
    this.size = [width, height];
  }

  release(gl: GL, all = true): void {
    if (this.texture) gl.deleteTexture(this.texture);
    if (this.framebuffer) gl.deleteFramebuffer(this.framebuffer);
    this.texture = null;
    this.framebuffer = null;
    this.size = [0, 0];
    this.drawnWith = null;
    if (all) {
      if (this.quad) gl.deleteBuffer(this.quad);
      if (this.program) gl.deleteProgram(this.program);
      this.quad = null;
      this.program = null;
    }
  }
}
