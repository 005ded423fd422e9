/**
 * Lines (one per flight) drawn straight from their Arrow columns, coloured per vertex:
 * each segment goes from the colour of its first row's value to that of its second, so
 * a climb shows as a gradient along the line. Each segment is a quad of two triangles,
 * widened to `width` pixels in the vertex shader (WebGL lines are one pixel wide).
 */
import type { CustomLayerInterface, CustomRenderMethodInput, Map as MaplibreMap } from "maplibre-gl";
import { createProgram } from "@tangram/api";
import { attribute, buffer, mercator, type GL, type Timings } from "./gl";
import type { Style } from "./points";
import { normalise, parseColor, ramp, RAMP_GLSL } from "./ramp";
import type { TableColumns } from "./table";

const VERTEX = `
attribute vec2 a_pos;
attribute vec2 a_other;
attribute float a_side;
attribute float a_value;
uniform mat4 u_matrix;
uniform vec2 u_viewport;
uniform float u_width;
varying float v_value;
void main() {
  vec4 p = u_matrix * vec4(a_pos, 0.0, 1.0);
  vec4 o = u_matrix * vec4(a_other, 0.0, 1.0);
  vec2 half_viewport = u_viewport * 0.5;
  vec2 ps = p.xy / p.w * half_viewport;
  vec2 delta = o.xy / o.w * half_viewport - ps;
  vec2 dir = dot(delta, delta) > 0.0 ? normalize(delta) : vec2(1.0, 0.0);
  vec2 offset = vec2(-dir.y, dir.x) * a_side * u_width * 0.5;
  gl_Position = vec4((ps + offset) / half_viewport * p.w, p.z, p.w);
  v_value = a_value;
}`;

const FRAGMENT = `
precision mediump float;
uniform vec3 u_color;
uniform float u_ramp;
uniform float u_opacity;
varying float v_value;
${RAMP_GLSL}
void main() {
  vec3 rgb = u_ramp > 0.5 ? ramp(v_value) : u_color;
  gl_FragColor = vec4(rgb * u_opacity, u_opacity);
}`;

/** Floats per vertex: position, other end, side, value. */
const STRIDE = 6;
/** Each segment: two triangles, (A+, A-, B+) and (A-, B-, B+). Side is relative to the
 * vertex's own direction (towards the other end), hence the flips at B. */
const CORNERS: [end: 0 | 1, side: number][] = [
  [0, 1],
  [0, -1],
  [1, -1],
  [0, -1],
  [1, 1],
  [1, -1],
];

export class LinesLayer implements CustomLayerInterface {
  readonly type = "custom" as const;
  readonly renderingMode = "2d" as const;
  /** Segments handed to the GPU on the last frame (0 while hidden); read by tests. */
  drawn = 0;
  /** Number of segments (consecutive rows of one line). */
  segments = 0;
  visible = true;
  readonly timings: Timings;
  /** Each segment's first row (for tests: its colour is `colorAt(start[k])`). */
  private start = new Int32Array(0);
  private t: Float32Array = new Float32Array(0);
  private program: WebGLProgram | null = null;
  private vertices: WebGLBuffer | null = null;
  private map: MaplibreMap | null = null;
  private readonly rgb: [number, number, number];

  constructor(
    readonly id: string,
    private readonly data: TableColumns,
    private readonly style: Style,
    timings: Timings = {},
  ) {
    this.timings = timings;
    this.rgb = parseColor(style.color);
  }

  /**
   * The colour (0..1 RGB, before opacity) drawn at fraction `along` of the way from row
   * `row` to the next: what the shader computes (the value is interpolated, then ramped).
   */
  colorAt(row: number, along = 0): [number, number, number] {
    if (!this.style.range) return this.rgb;
    const a = this.t[row];
    const b = along > 0 ? this.t[row + 1] : a;
    return ramp(a < 0 || b < 0 ? -1 : a + (b - a) * along);
  }

  /** Row `row`'s position, [longitude, latitude]. */
  lngLat(row: number): [number, number] {
    return [this.data.longitude[row], this.data.latitude[row]];
  }

  /** The first row of each segment, in drawing order (a copy). */
  segmentStarts(): number[] {
    return Array.from(this.start);
  }

  onAdd(map: MaplibreMap, gl: GL): void {
    this.map = map;
    this.program = createProgram(gl, VERTEX, FRAGMENT);
    const { count, longitude, latitude, values, lines } = this.data;
    const xy = mercator(longitude, latitude, count);
    this.t = normalise(values, count, this.style.range);
    const starts: number[] = [];
    for (let i = 0; i + 1 < count; i++) if (!lines || lines[i] === lines[i + 1]) starts.push(i);
    this.start = Int32Array.from(starts);
    this.segments = starts.length;
    const out = new Float32Array(this.segments * CORNERS.length * STRIDE);
    let k = 0;
    for (const a of this.start) {
      for (const [end, side] of CORNERS) {
        const self = a + end;
        const other = a + 1 - end;
        out[k++] = xy[2 * self];
        out[k++] = xy[2 * self + 1];
        out[k++] = xy[2 * other];
        out[k++] = xy[2 * other + 1];
        out[k++] = side;
        out[k++] = this.t[self];
      }
    }
    this.timings.prepared = performance.now();
    this.vertices = buffer(gl, out);
    this.timings.uploaded = performance.now();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.map?.triggerRepaint();
  }

  render(gl: GL, options: CustomRenderMethodInput): void {
    const prog = this.program;
    if (!prog || !this.visible || !this.vertices) {
      this.drawn = 0;
      return;
    }
    gl.useProgram(prog);
    const matrix = options.defaultProjectionData.mainMatrix as Float32Array;
    gl.uniformMatrix4fv(gl.getUniformLocation(prog, "u_matrix"), false, matrix);
    gl.uniform2f(gl.getUniformLocation(prog, "u_viewport"), gl.drawingBufferWidth, gl.drawingBufferHeight);
    gl.uniform1f(gl.getUniformLocation(prog, "u_width"), this.style.size * window.devicePixelRatio);
    gl.uniform3f(gl.getUniformLocation(prog, "u_color"), ...this.rgb);
    gl.uniform1f(gl.getUniformLocation(prog, "u_ramp"), this.style.range ? 1 : 0);
    gl.uniform1f(gl.getUniformLocation(prog, "u_opacity"), this.style.opacity);
    const bytes = STRIDE * 4;
    attribute(gl, prog, "a_pos", this.vertices, 2, bytes, 0);
    attribute(gl, prog, "a_other", this.vertices, 2, bytes, 8);
    attribute(gl, prog, "a_side", this.vertices, 1, bytes, 16);
    attribute(gl, prog, "a_value", this.vertices, 1, bytes, 20);
    gl.disable(gl.CULL_FACE);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.drawArrays(gl.TRIANGLES, 0, this.segments * CORNERS.length);
    this.drawn = this.segments;
    this.timings.drawn ??= performance.now();
  }

  onRemove(_map: MaplibreMap, gl: GL): void {
    if (this.vertices) gl.deleteBuffer(this.vertices);
    if (this.program) gl.deleteProgram(this.program);
    this.program = null;
  }
}
