/**
 * A MapLibre custom layer that draws one rotated icon per item with WebGL, from typed
 * arrays: the map layer of `installEntityLayer` (entityLayer.ts), part of
 * `@tangram/api`. It exists for the 1 Hz update of many entities: a GeoJSON source
 * would copy every feature to a worker, tile it, lay out and place one symbol per
 * feature, and send the buckets back to the main thread, each second (about 60 ms of
 * main-thread time at 10,000 aircraft, benchmarks/web_bench.py). Here an update fills
 * two Float32Arrays (5 numbers an item) and uploads them; a frame is one instanced draw.
 *
 * Positions are stored relative to an anchor (the map centre when the data was set) so
 * that 32-bit floats stay precise at street zoom. Icons face `rotation` degrees
 * clockwise from north and turn with the map's bearing; they are not tilted with pitch.
 * Mercator only (the shell does not use the globe projection).
 *
 * Picking is done on the CPU: `at(point)` scans the positions (a few microseconds for
 * 10,000) and confirms candidates with `map.project`.
 */
import type { IconLayerColours, IconLayerOptions } from "@tangram/api";
import type { CustomLayerInterface, CustomRenderMethodInput, Map as MaplibreMap, PointLike } from "maplibre-gl";
import { createProgram, createTexture, hexToRgb, instancing, mercatorOf, relativeMatrix, type Instanced } from "./gl";
import { FRAGMENT, QUAD, UNIFORMS, VERTEX } from "./iconShaders";

export class IconLayer<T> implements CustomLayerInterface {
  readonly type = "custom" as const;
  readonly renderingMode = "2d" as const;
  private map: MaplibreMap | null = null;
  private gl: WebGLRenderingContext | WebGL2RenderingContext | null = null;
  private program: WebGLProgram | null = null;
  private texture: WebGLTexture | null = null;
  private quad: WebGLBuffer | null = null;
  private buffer: WebGLBuffer | null = null;
  private colourBuffer: WebGLBuffer | null = null;
  private instanced: Instanced | null = null;
  private vao: WebGLVertexArrayObject | null = null;
  private attributes = { item: -1, colour: -1, corner: -1 };
  private uniforms: Record<string, WebGLUniformLocation | null> = {};
  private items: T[] = [];
  private longitudes = new Float64Array(0);
  private latitudes = new Float64Array(0);
  private mercator = new Float64Array(0);
  private packed = new Float32Array(0);
  private colours32 = new Float32Array(0);
  /** Parsed `colour()` strings (a handful of distinct values, 10,000 items a second). */
  private readonly colourCodes = new Map<string, number>();
  private count = 0;
  private anchor: [number, number] = [0.5, 0.5];
  private dirty = false;
  private colours: { fill: number[]; selected: number[]; halo: number[] };

  constructor(
    readonly id: string,
    private readonly options: IconLayerOptions<T>,
  ) {
    this.colours = this.parse(options.colours);
  }

  /** Replace the items (selected ones are drawn last, on top). */
  setData(items: readonly T[], selected: ReadonlySet<string>): void {
    const { key, position, rotation, colour } = this.options;
    const placed: Array<[T, number, number]> = [];
    const top: Array<[T, number, number]> = [];
    for (const item of items) {
      const p = position(item);
      if (p !== null) (selected.has(key(item)) ? top : placed).push([item, p[0], p[1]]);
    }
    const all = placed.concat(top);
    const n = all.length;
    if (this.longitudes.length < n) {
      const size = Math.max(n, 2 * this.longitudes.length, 64);
      this.longitudes = new Float64Array(size);
      this.latitudes = new Float64Array(size);
      this.mercator = new Float64Array(2 * size);
      this.packed = new Float32Array(4 * size);
      this.colours32 = new Float32Array(size);
    }
    const centre = this.map?.getCenter();
    this.anchor = centre ? mercatorOf(centre.lng, centre.lat) : [0.5, 0.5];
    const [ax, ay] = this.anchor;
    this.items = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      const [item, lon, lat] = all[i];
      const [x, y] = mercatorOf(lon, lat);
      this.items[i] = item;
      this.longitudes[i] = lon;
      this.latitudes[i] = lat;
      this.mercator[2 * i] = x;
      this.mercator[2 * i + 1] = y;
      this.packed[4 * i] = x - ax;
      this.packed[4 * i + 1] = y - ay;
      this.packed[4 * i + 2] = (rotation(item) * Math.PI) / 180;
      this.packed[4 * i + 3] = i >= placed.length ? 1 : 0;
      this.colours32[i] = colour ? this.code(colour(item)) : -1;
    }
    this.count = n;
    this.dirty = true;
    this.map?.triggerRepaint();
  }

  setColours(colours: IconLayerColours): void {
    this.colours = this.parse(colours);
    this.map?.triggerRepaint();
  }

  /** The item drawn nearest to `point` (CSS pixels in the map), if one is under it. */
  at(point: PointLike): T | undefined {
    const map = this.map;
    if (!map || this.count === 0) return undefined;
    const [px, py] = Array.isArray(point) ? point : [point.x, point.y];
    const radius = this.options.radius * this.options.selectedScale;
    const lngLat = map.unproject([px, py]);
    const [mx, my] = mercatorOf(lngLat.lng, lngLat.lat);
    // Generous in mercator units (pitch stretches the far side); confirmed on screen below.
    const reach = (4 * radius) / (512 * 2 ** map.getZoom());
    let best: T | undefined;
    let bestDistance = radius * radius;
    for (let i = 0; i < this.count; i++) {
      if (Math.abs(this.mercator[2 * i] - mx) > reach || Math.abs(this.mercator[2 * i + 1] - my) > reach) continue;
      const p = map.project([this.longitudes[i], this.latitudes[i]]);
      const distance = (p.x - px) ** 2 + (p.y - py) ** 2;
      if (distance <= bestDistance) {
        bestDistance = distance;
        best = this.items[i];
      }
    }
    return best;
  }

  /** For the shell's click-to-deselect: is an item under `point`? */
  hits(point: PointLike): boolean {
    return this.at(point) !== undefined;
  }

  /** The items drawn inside the map's canvas, with their positions (tests, debugging). */
  rendered(): Array<{ item: T; longitude: number; latitude: number; colour: string | null }> {
    const map = this.map;
    if (!map) return [];
    const { clientWidth: width, clientHeight: height } = map.getCanvas();
    const out = [];
    for (let i = 0; i < this.count; i++) {
      const p = map.project([this.longitudes[i], this.latitudes[i]]);
      if (p.x >= 0 && p.y >= 0 && p.x <= width && p.y <= height)
        out.push({
          item: this.items[i],
          longitude: this.longitudes[i],
          latitude: this.latitudes[i],
          colour: this.options.colour?.(this.items[i]) ?? null,
        });
    }
    return out;
  }

  onAdd(map: MaplibreMap, gl: WebGLRenderingContext | WebGL2RenderingContext): void {
    this.map = map;
    this.gl = gl;
    const program = createProgram(gl, VERTEX, FRAGMENT);
    this.program = program;
    this.texture = createTexture(gl, this.options.image);
    this.quad = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.bufferData(gl.ARRAY_BUFFER, QUAD, gl.STATIC_DRAW);
    this.buffer = gl.createBuffer();
    this.colourBuffer = gl.createBuffer();
    this.instanced = instancing(gl);
    this.attributes = {
      item: gl.getAttribLocation(program, "a_item"),
      colour: gl.getAttribLocation(program, "a_colour"),
      corner: gl.getAttribLocation(program, "a_corner"),
    };
    this.uniforms = Object.fromEntries(UNIFORMS.map((name) => [name, gl.getUniformLocation(program, name)]));
    if ("createVertexArray" in gl) {
      // WebGL 2: our own vertex array, set up once, leaves MapLibre's bound one alone.
      this.vao = gl.createVertexArray();
      gl.bindVertexArray(this.vao);
      this.bindAttributes(gl);
      gl.bindVertexArray(null);
    }
    this.dirty = true;
  }

  onRemove(_map: MaplibreMap, gl: WebGLRenderingContext | WebGL2RenderingContext): void {
    if (this.vao && "deleteVertexArray" in gl) gl.deleteVertexArray(this.vao);
    gl.deleteProgram(this.program);
    gl.deleteTexture(this.texture);
    gl.deleteBuffer(this.quad);
    gl.deleteBuffer(this.buffer);
    gl.deleteBuffer(this.colourBuffer);
    this.program = this.texture = this.quad = this.buffer = this.colourBuffer = this.vao = null;
    this.map = this.gl = null;
  }

  render(gl: WebGLRenderingContext | WebGL2RenderingContext, options: CustomRenderMethodInput): void {
    const { program, instanced, map } = this;
    if (!program || !instanced || !map || this.count === 0 || gl !== this.gl) return;
    gl.useProgram(program);
    if (this.dirty) {
      gl.bindBuffer(gl.ARRAY_BUFFER, this.buffer);
      gl.bufferData(gl.ARRAY_BUFFER, this.packed.subarray(0, 4 * this.count), gl.DYNAMIC_DRAW);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.colourBuffer);
      gl.bufferData(gl.ARRAY_BUFFER, this.colours32.subarray(0, this.count), gl.DYNAMIC_DRAW);
      this.dirty = false;
    }
    if (this.vao && "bindVertexArray" in gl) gl.bindVertexArray(this.vao);
    else this.bindAttributes(gl);

    const u = this.uniforms;
    const worldSize = 512 * 2 ** map.getZoom();
    gl.uniformMatrix4fv(u.u_matrix, false, relativeMatrix(options.modelViewProjectionMatrix, this.anchor, worldSize));
    const ratio = window.devicePixelRatio || 1;
    gl.uniform2f(u.u_pixel, (2 * ratio) / gl.drawingBufferWidth, (2 * ratio) / gl.drawingBufferHeight);
    gl.uniform1f(u.u_radius, this.options.radius);
    gl.uniform1f(u.u_selected_scale, this.options.selectedScale);
    gl.uniform1f(u.u_bearing, (map.getBearing() * Math.PI) / 180);
    gl.uniform3fv(u.u_fill, this.colours.fill);
    gl.uniform3fv(u.u_fill_selected, this.colours.selected);
    gl.uniform3fv(u.u_halo, this.colours.halo);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.uniform1i(u.u_icon, 0);
    gl.disable(gl.DEPTH_TEST);
    gl.disable(gl.STENCIL_TEST);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    instanced.draw(this.count);

    if (this.vao && "bindVertexArray" in gl) {
      gl.bindVertexArray(null);
    } else {
      // WebGL 1 has one global attribute state: leave it as MapLibre expects.
      instanced.divisor(this.attributes.item, 0);
      instanced.divisor(this.attributes.colour, 0);
      gl.disableVertexAttribArray(this.attributes.item);
      gl.disableVertexAttribArray(this.attributes.colour);
      gl.disableVertexAttribArray(this.attributes.corner);
    }
  }

  private bindAttributes(gl: WebGLRenderingContext | WebGL2RenderingContext): void {
    const { item, colour, corner } = this.attributes;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buffer);
    gl.enableVertexAttribArray(item);
    gl.vertexAttribPointer(item, 4, gl.FLOAT, false, 16, 0);
    this.instanced?.divisor(item, 1);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.colourBuffer);
    gl.enableVertexAttribArray(colour);
    gl.vertexAttribPointer(colour, 1, gl.FLOAT, false, 4, 0);
    this.instanced?.divisor(colour, 1);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.quad);
    gl.enableVertexAttribArray(corner);
    gl.vertexAttribPointer(corner, 2, gl.FLOAT, false, 8, 0);
    this.instanced?.divisor(corner, 0);
  }

  private code(hex: string | null): number {
    if (hex === null) return -1;
    let code = this.colourCodes.get(hex);
    if (code === undefined) {
      const [r, g, b] = hexToRgb(hex).map((v) => Math.round(v * 255));
      code = r * 65536 + g * 256 + b;
      this.colourCodes.set(hex, code);
    }
    return code;
  }

  private parse(colours: IconLayerColours): { fill: number[]; selected: number[]; halo: number[] } {
    return { fill: hexToRgb(colours.fill), selected: hexToRgb(colours.selected), halo: hexToRgb(colours.halo) };
  }
}
