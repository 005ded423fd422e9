/**
 * A large point set drawn straight from its float32 columns: one WebGL draw call of
 * `gl.POINTS`, no GeoJSON and no tiling, so a million points appear in about the time
 * it takes to download them. A MapLibre custom layer, so it sits in the layer order
 * like the others (below the aircraft).
 */
import type { CustomLayerInterface, CustomRenderMethodInput, Map as MaplibreMap } from "maplibre-gl";

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

// The same ramp as the GeoJSON layers (dark purple to yellow); grey without a value.
const FRAGMENT = `
precision mediump float;
uniform vec4 u_color;
uniform float u_ramp;
uniform float u_opacity;
varying float v_value;
vec3 ramp(float t) {
  vec3 c0 = vec3(0.267, 0.004, 0.329);
  vec3 c1 = vec3(0.231, 0.322, 0.545);
  vec3 c2 = vec3(0.129, 0.569, 0.549);
  vec3 c3 = vec3(0.369, 0.788, 0.384);
  vec3 c4 = vec3(0.992, 0.906, 0.145);
  float s = clamp(t, 0.0, 1.0) * 4.0;
  if (s < 1.0) return mix(c0, c1, s);
  if (s < 2.0) return mix(c1, c2, s - 1.0);
  if (s < 3.0) return mix(c2, c3, s - 2.0);
  return mix(c3, c4, s - 3.0);
}
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  if (dot(d, d) > 0.25) discard;
  vec3 rgb = u_color.rgb;
  if (u_ramp > 0.5) rgb = v_value < 0.0 ? vec3(0.525, 0.557, 0.588) : ramp(v_value);
  gl_FragColor = vec4(rgb * u_opacity, u_opacity);
}`;

export interface PointColumns {
  count: number;
  /** longitude, latitude and, optionally, the value column, each `count` float32. */
  buffer: ArrayBuffer;
  hasValue: boolean;
}

function compile(gl: WebGLRenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader) throw new Error("explore: cannot create a WebGL shader");
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    throw new Error(`explore: shader does not compile: ${gl.getShaderInfoLog(shader)}`);
  }
  return shader;
}

function parseColor(color: string): [number, number, number] {
  const probe = document.createElement("canvas").getContext("2d");
  if (!probe) return [0.84, 0.2, 0.42];
  probe.fillStyle = color;
  const hex = probe.fillStyle; // normalised to #rrggbb by the browser
  const n = parseInt(hex.slice(1, 7), 16);
  return Number.isNaN(n) ? [0.84, 0.2, 0.42] : [(n >> 16) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

export class PointsLayer implements CustomLayerInterface {
  readonly type = "custom" as const;
  readonly renderingMode = "2d" as const;
  /** Points handed to the GPU on the last frame (0 while hidden); read by tests. */
  drawn = 0;
  visible = true;
  private program: WebGLProgram | null = null;
  private positions: WebGLBuffer | null = null;
  private values: WebGLBuffer | null = null;
  private map: MaplibreMap | null = null;

  constructor(
    readonly id: string,
    private readonly data: PointColumns,
    private readonly style: { color: string; range?: [number, number]; radius: number; opacity: number },
  ) {}

  onAdd(map: MaplibreMap, gl: WebGLRenderingContext): void {
    this.map = map;
    const program = gl.createProgram();
    if (!program) throw new Error("explore: cannot create a WebGL program");
    gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(program);
    this.program = program;

    const { count, buffer, hasValue } = this.data;
    const lon = new Float32Array(buffer, 0, count);
    const lat = new Float32Array(buffer, 4 * count, count);
    // Web Mercator in [0, 1], what MapLibre's matrix expects from custom layers.
    const xy = new Float32Array(2 * count);
    const k = Math.PI / 180;
    for (let i = 0; i < count; i++) {
      xy[2 * i] = (lon[i] + 180) / 360;
      const s = Math.sin(lat[i] * k);
      xy[2 * i + 1] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
    }
    this.positions = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
    gl.bufferData(gl.ARRAY_BUFFER, xy, gl.STATIC_DRAW);

    const t = new Float32Array(count).fill(-1);
    const range = this.style.range;
    if (hasValue && range) {
      const raw = new Float32Array(buffer, 8 * count, count);
      const span = range[1] - range[0] || 1;
      for (let i = 0; i < count; i++) {
        const v = raw[i];
        t[i] = Number.isFinite(v) ? (v - range[0]) / span : -1;
      }
    }
    this.values = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.values);
    gl.bufferData(gl.ARRAY_BUFFER, t, gl.STATIC_DRAW);
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.map?.triggerRepaint();
  }

  render(gl: WebGLRenderingContext, options: CustomRenderMethodInput): void {
    const program = this.program;
    if (!program || !this.visible) {
      this.drawn = 0;
      return;
    }
    gl.useProgram(program);
    gl.uniformMatrix4fv(
      gl.getUniformLocation(program, "u_matrix"),
      false,
      options.defaultProjectionData.mainMatrix as Float32Array,
    );
    gl.uniform1f(gl.getUniformLocation(program, "u_size"), this.style.radius * 2 * window.devicePixelRatio);
    const [r, g, b] = parseColor(this.style.color);
    gl.uniform4f(gl.getUniformLocation(program, "u_color"), r, g, b, 1);
    gl.uniform1f(gl.getUniformLocation(program, "u_ramp"), this.style.range ? 1 : 0);
    gl.uniform1f(gl.getUniformLocation(program, "u_opacity"), this.style.opacity);
    const pos = gl.getAttribLocation(program, "a_pos");
    gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
    gl.enableVertexAttribArray(pos);
    gl.vertexAttribPointer(pos, 2, gl.FLOAT, false, 0, 0);
    const value = gl.getAttribLocation(program, "a_value");
    gl.bindBuffer(gl.ARRAY_BUFFER, this.values);
    gl.enableVertexAttribArray(value);
    gl.vertexAttribPointer(value, 1, gl.FLOAT, false, 0, 0);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.drawArrays(gl.POINTS, 0, this.data.count);
    this.drawn = this.data.count;
  }

  onRemove(_map: MaplibreMap, gl: WebGLRenderingContext): void {
    if (this.positions) gl.deleteBuffer(this.positions);
    if (this.values) gl.deleteBuffer(this.values);
    if (this.program) gl.deleteProgram(this.program);
    this.program = null;
  }
}
