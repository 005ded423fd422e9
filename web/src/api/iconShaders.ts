/** The icon layer's WebGL program (GLSL ES 1.00: WebGL 1 and 2) and its fixed data. */

export const VERTEX = `
attribute vec2 a_corner;
attribute vec4 a_item; // x, y (mercator, from the anchor), rotation (rad), selected
attribute float a_colour; // 0xRRGGBB as a float (exact below 2^24), or -1: u_fill
uniform mat4 u_matrix;
uniform vec2 u_pixel;  // clip-space units per CSS pixel
uniform float u_radius;
uniform float u_selected_scale;
uniform float u_bearing;
varying vec2 v_uv;
varying float v_selected;
varying vec3 v_fill;
uniform vec3 u_fill;
void main() {
  v_fill = a_colour < 0.0
    ? u_fill
    : vec3(floor(a_colour / 65536.0), mod(floor(a_colour / 256.0), 256.0), mod(a_colour, 256.0)) / 255.0;
  float radius = u_radius * (a_item.w > 0.5 ? u_selected_scale : 1.0);
  float angle = a_item.z - u_bearing;
  float c = cos(angle);
  float s = sin(angle);
  vec2 corner = vec2(a_corner.x * c + a_corner.y * s, -a_corner.x * s + a_corner.y * c);
  vec4 position = u_matrix * vec4(a_item.xy, 0.0, 1.0);
  position.xy += corner * radius * u_pixel * position.w;
  gl_Position = position;
  v_uv = vec2(a_corner.x * 0.5 + 0.5, 0.5 - a_corner.y * 0.5);
  v_selected = a_item.w;
}`;

export const FRAGMENT = `
precision mediump float;
uniform sampler2D u_icon;
uniform vec3 u_fill_selected;
uniform vec3 u_halo;
varying vec2 v_uv;
varying float v_selected;
varying vec3 v_fill;
void main() {
  vec4 mask = texture2D(u_icon, v_uv);
  float alpha = max(mask.r, mask.g);
  vec3 fill = v_selected > 0.5 ? u_fill_selected : v_fill;
  gl_FragColor = vec4(mix(u_halo, fill, mask.r) * alpha, alpha); // premultiplied, as MapLibre blends
}`;

/** Corners of the quad, as a triangle strip. */
export const QUAD = new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]);

/** Every uniform the program has (their locations are looked up once). */
export const UNIFORMS = ["u_matrix", "u_pixel", "u_radius", "u_selected_scale", "u_bearing", "u_fill", "u_fill_selected", "u_halo", "u_icon"];
