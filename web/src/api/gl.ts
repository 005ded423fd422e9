/** Small WebGL helpers for the icon layer: program, texture, colours, matrices, instancing. */

type GL = WebGLRenderingContext | WebGL2RenderingContext;

function compile(gl: GL, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (!shader) throw new Error("WebGL: cannot create a shader (context lost?)");
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    const log = gl.getShaderInfoLog(shader);
    gl.deleteShader(shader);
    throw new Error(`WebGL: shader does not compile: ${log ?? "no log"}`);
  }
  return shader;
}

export function createProgram(gl: GL, vertex: string, fragment: string): WebGLProgram {
  const program = gl.createProgram();
  if (!program) throw new Error("WebGL: cannot create a program (context lost?)");
  const shaders = [compile(gl, gl.VERTEX_SHADER, vertex), compile(gl, gl.FRAGMENT_SHADER, fragment)];
  shaders.forEach((shader) => gl.attachShader(program, shader));
  gl.linkProgram(program);
  shaders.forEach((shader) => gl.deleteShader(shader));
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    throw new Error(`WebGL: program does not link: ${gl.getProgramInfoLog(program) ?? "no log"}`);
  }
  return program;
}

/** A mipmapped RGBA texture (the image must have power-of-two sides for WebGL 1). */
export function createTexture(gl: GL, image: ImageData): WebGLTexture {
  const texture = gl.createTexture();
  if (!texture) throw new Error("WebGL: cannot create a texture (context lost?)");
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, image);
  gl.generateMipmap(gl.TEXTURE_2D);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR_MIPMAP_LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return texture;
}

/** `#rgb` or `#rrggbb` as [r, g, b] in 0..1. */
export function hexToRgb(hex: string): number[] {
  const digits = hex.replace("#", "");
  const full = digits.length === 3 ? [...digits].map((d) => d + d).join("") : digits.slice(0, 6);
  if (!/^[0-9a-fA-F]{6}$/.test(full)) throw new Error(`expected a colour such as "#1c5d99", got ${JSON.stringify(hex)}`);
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255);
}

/**
 * MapLibre's view-projection matrix (world pixels to clip space, column-major) turned
 * into one that takes mercator offsets from `anchor`: M · translate(anchor · W) ·
 * scale(W, W, 1), computed in 64-bit floats before the 32-bit uniform.
 */
export function relativeMatrix(m: ArrayLike<number>, anchor: [number, number], worldSize: number): Float32Array {
  const [tx, ty] = [anchor[0] * worldSize, anchor[1] * worldSize];
  const out = new Float32Array(16);
  for (let row = 0; row < 4; row++) {
    out[row] = m[row] * worldSize;
    out[4 + row] = m[4 + row] * worldSize;
    out[8 + row] = m[8 + row];
    out[12 + row] = m[row] * tx + m[4 + row] * ty + m[12 + row];
  }
  return out;
}

/** Instanced drawing of a 4-vertex strip, with WebGL 2 or WebGL 1's extension. */
export type Instanced = {
  divisor(index: number, divisor: number): void;
  draw(count: number): void;
};

/** Web Mercator, [0, 1] from the north-west corner (MapLibre's MercatorCoordinate). */
export function mercatorOf(longitude: number, latitude: number): [number, number] {
  const clamped = Math.max(-85.051129, Math.min(85.051129, latitude));
  const y = (180 - (180 / Math.PI) * Math.log(Math.tan(Math.PI / 4 + (clamped * Math.PI) / 360))) / 360;
  return [(longitude + 180) / 360, y];
}

export function instancing(gl: WebGLRenderingContext | WebGL2RenderingContext): Instanced {
  if ("drawArraysInstanced" in gl) {
    return {
      divisor: (index, divisor) => gl.vertexAttribDivisor(index, divisor),
      draw: (count) => gl.drawArraysInstanced(gl.TRIANGLE_STRIP, 0, 4, count),
    };
  }
  const ext = gl.getExtension("ANGLE_instanced_arrays");
  if (!ext) throw new Error("WebGL: neither WebGL 2 nor ANGLE_instanced_arrays; cannot draw the icon layer");
  return {
    divisor: (index, divisor) => ext.vertexAttribDivisorANGLE(index, divisor),
    draw: (count) => ext.drawArraysInstancedANGLE(gl.TRIANGLE_STRIP, 0, 4, count),
  };
}
