/**
 * A table of points drawn straight from its Arrow columns: positions projected once
 * into one Float32Array, values into another, then one `gl.POINTS` draw call per frame.
 * No object per point anywhere, and MapLibre never parses or tiles it. A MapLibre custom
 * layer, so it sits in the layer order like the others (below the aircraft).
 */
import type { CustomLayerInterface, CustomRenderMethodInput, Map as MaplibreMap } from "maplibre-gl";
import { RasterCache } from "./cache";
import { createProgram } from "@tangram/api";
import { attribute, buffer, mercator, type GL, type Timings } from "./gl";
import { normalise, parseColor, RAMP_GLSL } from "./ramp";
import type { TableColumns } from "./table";

const VERTEX = `
attribute vec2 a_pos;
attribute float a_value;
uniform mat4 u_matrix;
uniform float u_size;
varying float v_value;
void main() {
  gl_Position = u_matrix * vec4(a_pos, 0.0, 1.0);
  gl_PointSize = u_size;
  v_value = a_value;
}`;

const FRAGMENT = `
precision mediump float;
uniform vec3 u_color;
uniform float u_ramp;
uniform float u_opacity;
uniform float u_round;
varying float v_value;
${RAMP_GLSL}
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  if (u_round > 0.5 && dot(d, d) > 0.25) discard;
  vec3 rgb = u_ramp > 0.5 ? ramp(v_value) : u_color;
  gl_FragColor = vec4(rgb * u_opacity, u_opacity);
}`;

export interface Style {
  color: string;
  range?: [number, number];
  /** pixels: the width of a line, or the radius of a point */
  size: number;
  opacity: number;
}

export class PointsLayer implements CustomLayerInterface {
  readonly type = "custom" as const;
  readonly renderingMode = "2d" as const;
  /** Points handed to the GPU on the last frame (0 while hidden); read by tests. */
  drawn = 0;
  visible = true;
  readonly timings: Timings;
  private program: WebGLProgram | null = null;
  private positions: WebGLBuffer | null = null;
  private values: WebGLBuffer | null = null;
  private map: MaplibreMap | null = null;
  private readonly rgb: [number, number, number];
  private readonly cache = new RasterCache();
  /** Whether this frame shows the cache's texture (prerender drew it, or it still fits). */
  private cached = false;
  private matrix: Float32Array | null = null;
  private readonly settle = (): void => {
    if (this.matrix && this.cache.settle(this.matrix)) this.map?.triggerRepaint();
  };

  constructor(
    readonly id: string,
    private readonly data: TableColumns,
    private readonly style: Style,
    timings: Timings = {},
  ) {
    this.timings = timings;
    this.rgb = parseColor(style.color);
  }

  onAdd(map: MaplibreMap, gl: GL): void {
    this.map = map;
    map.on("moveend", this.settle);
    this.program = createProgram(gl, VERTEX, FRAGMENT);
    const { count, longitude, latitude, values } = this.data;
    const xy = mercator(longitude, latitude, count);
    const t = normalise(values, count, this.style.range);
    this.timings.prepared = performance.now();
    this.positions = buffer(gl, xy);
    this.values = buffer(gl, t);
    this.timings.uploaded = performance.now();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.map?.triggerRepaint();
  }

  prerender(gl: GL, options: CustomRenderMethodInput): void {
    this.matrix = options.defaultProjectionData.mainMatrix as Float32Array;
    this.cached = false;
    if (!this.program || !this.visible || !this.map) return;
    const pitched = this.map.getPitch() !== 0 || this.map.getProjection()?.type === "globe";
    this.cached = this.cache.prepare(gl, this.matrix, pitched, (matrix) => this.draw(gl, matrix));
  }

  render(gl: GL, options: CustomRenderMethodInput): void {
    if (!this.program || !this.visible) {
      this.drawn = 0;
      return;
    }
    if (this.cached) this.cache.render(gl);
    else this.draw(gl, options.defaultProjectionData.mainMatrix as Float32Array);
    this.drawn = this.data.count;
    this.timings.drawn ??= performance.now();
  }

  private draw(gl: GL, matrix: Float32Array): void {
    const prog = this.program;
    if (!prog || !this.positions || !this.values) return;
    gl.useProgram(prog);
    gl.uniformMatrix4fv(gl.getUniformLocation(prog, "u_matrix"), false, matrix);
    const size = this.style.size * 2 * window.devicePixelRatio;
    gl.uniform1f(gl.getUniformLocation(prog, "u_size"), size);
    // Below 3 pixels a disc and a square look alike: skip the per-fragment discard.
    gl.uniform1f(gl.getUniformLocation(prog, "u_round"), size > 3 ? 1 : 0);
    gl.uniform3f(gl.getUniformLocation(prog, "u_color"), ...this.rgb);
    gl.uniform1f(gl.getUniformLocation(prog, "u_ramp"), this.style.range ? 1 : 0);
    gl.uniform1f(gl.getUniformLocation(prog, "u_opacity"), this.style.opacity);
    attribute(gl, prog, "a_pos", this.positions, 2);
    attribute(gl, prog, "a_value", this.values, 1);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.drawArrays(gl.POINTS, 0, this.data.count);
  }

  onRemove(map: MaplibreMap, gl: GL): void {
    map.off("moveend", this.settle);
    this.cache.release(gl);
    if (this.positions) gl.deleteBuffer(this.positions);
    if (this.values) gl.deleteBuffer(this.values);
    if (this.program) gl.deleteProgram(this.program);
    this.program = null;
  }
}
