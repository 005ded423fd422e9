/** WebGL helpers shared by the point and line layers. */
// Programs come from the shell's createProgram (@tangram/api).
export type GL = WebGLRenderingContext | WebGL2RenderingContext;

export function buffer(gl: GL, data: Float32Array): WebGLBuffer {
  const made = gl.createBuffer();
  if (!made) throw new Error("explore: cannot create a WebGL buffer");
  gl.bindBuffer(gl.ARRAY_BUFFER, made);
  gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
  return made;
}

export function attribute(gl: GL, prog: WebGLProgram, name: string, buf: WebGLBuffer, size: number, stride = 0, offset = 0): void {
  const location = gl.getAttribLocation(prog, name);
  gl.bindBuffer(gl.ARRAY_BUFFER, buf);
  gl.enableVertexAttribArray(location);
  gl.vertexAttribPointer(location, size, gl.FLOAT, false, stride, offset);
}

const K = Math.PI / 180;
/** Longitude/latitude to Web Mercator in [0, 1], what MapLibre's matrix expects from custom layers. */
export function mercator(lon: Float64Array, lat: Float64Array, count: number): Float32Array {
  const xy = new Float32Array(2 * count);
  for (let i = 0; i < count; i++) {
    xy[2 * i] = (lon[i] + 180) / 360;
    const s = Math.sin(lat[i] * K);
    xy[2 * i + 1] = 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
  return xy;
}

/** When each step of showing a layer ended (performance.now(), ms); read by the benchmark. */
export interface Timings {
  announced?: number;
  responded?: number;
  downloaded?: number;
  parsed?: number;
  prepared?: number;
  uploaded?: number;
  drawn?: number;
}
