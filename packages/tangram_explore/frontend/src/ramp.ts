/**
 * The colour ramp of `color_by` (viridis-like, dark purple low to yellow high), once for
 * the shaders, once for the legend and the tests: both must agree.
 */
export const RAMP = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
/** Where a value is missing (NaN): grey. */
export const MISSING: [number, number, number] = [0.525, 0.557, 0.588];

const STOPS: [number, number, number][] = RAMP.map((hex) => {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
});

const vec3 = (c: [number, number, number]): string => `vec3(${c.map((x) => x.toFixed(4)).join(", ")})`;

/** GLSL: `vec3 ramp(float t)`, t in [0, 1], and a negative t for a missing value. */
export const RAMP_GLSL = `
vec3 ramp(float t) {
  if (t < 0.0) return ${vec3(MISSING)};
  float s = clamp(t, 0.0, 1.0) * 4.0;
  if (s < 1.0) return mix(${vec3(STOPS[0])}, ${vec3(STOPS[1])}, s);
  if (s < 2.0) return mix(${vec3(STOPS[1])}, ${vec3(STOPS[2])}, s - 1.0);
  if (s < 3.0) return mix(${vec3(STOPS[2])}, ${vec3(STOPS[3])}, s - 2.0);
  return mix(${vec3(STOPS[3])}, ${vec3(STOPS[4])}, s - 3.0);
}`;

/** The same as the GLSL, in 0..1 RGB. */
export function ramp(t: number): [number, number, number] {
  if (!(t >= 0)) return MISSING;
  const s = Math.min(t, 1) * 4;
  const i = Math.min(Math.floor(s), 3);
  const f = s - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** Values to ramp positions: (v - low) / (high - low), -1 where missing. */
export function normalise(values: Float64Array | null, count: number, range?: [number, number]): Float32Array {
  const t = new Float32Array(count).fill(-1);
  if (!values || !range) return t;
  const span = range[1] - range[0] || 1;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v === v) t[i] = (v - range[0]) / span; // v === v: not NaN
  }
  return t;
}

export function parseColor(color: string): [number, number, number] {
  const probe = document.createElement("canvas").getContext("2d");
  if (!probe) return [0.84, 0.2, 0.42];
  probe.fillStyle = color;
  const hex = probe.fillStyle; // normalised to #rrggbb by the browser
  const n = parseInt(hex.slice(1, 7), 16);
  return Number.isNaN(n) ? [0.84, 0.2, 0.42] : [(n >> 16) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}
