/**
 * Shared building blocks of entity plugins (tangram_jet1090, tangram_ship162): a WebGL
 * icon layer fed from typed arrays, the map behaviour around it, and two widgets. The
 * runtime is the shell's (`web/src/api/`); see docs/frontend.md, "Entity layers".
 */
import type { Component, ComputedRef } from "vue";
import type { CustomLayerInterface, CustomRenderMethodInput, Map as MaplibreMap, PointLike } from "maplibre-gl";
import type { TangramApi, ThemeName } from "./index";

export interface IconLayerColours {
  /** Items without a colour of their own. */
  fill: string;
  /** Selected items. */
  selected: string;
  halo: string;
}

export interface IconLayerOptions<T> {
  /** `iconMask(...)`: red channel = shape, green = shape and halo; power-of-two sides. */
  image: ImageData;
  /** Half the icon's side on screen in CSS pixels, and its scale when selected. */
  radius: number;
  selectedScale: number;
  colours: IconLayerColours;
  key(item: T): string;
  position(item: T): [number, number] | null;
  /** Degrees clockwise from north; the icon turns with the map's bearing. */
  rotation(item: T): number;
  /** An item's own fill colour (`#rrggbb`), or null for `colours.fill`. */
  colour?(item: T): string | null;
}

/** A MapLibre custom layer drawing one rotated icon per item (one instanced draw). */
export declare class IconLayer<T> implements CustomLayerInterface {
  readonly id: string;
  readonly type: "custom";
  readonly renderingMode: "2d";
  constructor(id: string, options: IconLayerOptions<T>);
  /** Replace the items; selected ones are drawn last, larger, in `colours.selected`. */
  setData(items: readonly T[], selected: ReadonlySet<string>): void;
  setColours(colours: IconLayerColours): void;
  /** The item drawn nearest to `point` (CSS pixels in the map) if one is under it. */
  at(point: PointLike): T | undefined;
  /** Is an item under `point`? (The shell's click-to-deselect asks custom layers.) */
  hits(point: PointLike): boolean;
  /** The items drawn inside the map's canvas (tests, debugging). */
  rendered(): Array<{ item: T; longitude: number; latitude: number; colour: string | null }>;
  onAdd(map: MaplibreMap, gl: WebGLRenderingContext | WebGL2RenderingContext): void;
  onRemove(map: MaplibreMap, gl: WebGLRenderingContext | WebGL2RenderingContext): void;
  render(gl: WebGLRenderingContext | WebGL2RenderingContext, options: CustomRenderMethodInput): void;
}

/**
 * A linked WebGL program from two shader sources, for plugins drawing their own custom
 * layers; throws with the compiler's log when a shader does not compile or link.
 */
export declare function createProgram(gl: WebGLRenderingContext | WebGL2RenderingContext, vertex: string, fragment: string): WebGLProgram;

/** Side of an icon mask in pixels (64). */
export declare const MASK_SIZE: number;

/**
 * An icon mask for `IconLayer`: `path(ctx, scale)` traces the shape, pointing north, on
 * a 48-pixel grid (multiply coordinates by `scale`); `halo` is its width in mask pixels.
 */
export declare function iconMask(path: (ctx: CanvasRenderingContext2D, scale: number) => void, halo: number): ImageData;

export interface EntityColours extends IconLayerColours {
  /** Labels' text (their halo is `halo`). */
  text: string;
}

export interface EntityLayerOptions<T> {
  /** The entities' `typeName` in the shared store. */
  typeName: string;
  /** The icon layer's id; labels are `<id>-labels` (layer and GeoJSON source). */
  id: string;
  icon: ImageData;
  radius: number;
  selectedScale: number;
  colours: Record<ThemeName, EntityColours>;
  key(item: T): string;
  /** Default: the item's numeric `longitude` and `latitude` fields, else not drawn. */
  position?(item: T): [number, number] | null;
  rotation(item: T): number;
  colour?(item: T): string | null;
  /** Text labels from `minzoom` (below it no label data is built). */
  labels?: { minzoom: number; text(item: T): string; size: number; offset: [number, number] };
  /** A tooltip on hover (a MapLibre popup with this class). */
  tooltip?: { className: string; content(item: T): HTMLElement };
  /** After the selection of this type changed (not on each frame's refresh of it). */
  onSelectionChange?(ids: ReadonlySet<string>): void;
}

export interface EntityLayer<T> {
  /** Put these items in the shared store (`typeName`, id `key(item)`) and on the map. */
  update(items: readonly T[]): void;
  /** Ids of the selected entities of this type. */
  selectedIds(): Set<string>;
  readonly icons: IconLayer<T>;
}

/**
 * Entities on the map: the icon layer, labels, hover cursor and tooltip, click to
 * select, theme colours, redraw on a change of selection. Waits for the map.
 */
export declare function installEntityLayer<T>(api: TangramApi, options: EntityLayerOptions<T>): Promise<EntityLayer<T>>;

/** The state of the first selected entity of `typeName`, or null. Reactive. */
export declare function selectedState<S>(api: TangramApi, typeName: string): ComputedRef<S | null>;

/** `1,234 ft`, or `–` when unknown (en-GB grouping, at most `digits` decimals). */
export declare function formatNumber(value: number | null | undefined, unit: string, digits?: number): string;

/**
 * Top-bar count. Props: `prefix` (classes `<prefix>-visible`, `<prefix>-total`),
 * `title`, `visible`, `total`, `colour` (of the icon); slots `icon` and default (after).
 */
export declare const EntityCount: Component;

/** One row of `EntityDetails`: `<dd class="<prefix>-<key>">value</dd>`. */
export interface DetailRow {
  key: string;
  label: string;
  value: string;
}

/**
 * Side-bar details of the selected entity. Props: `prefix` (section `<prefix>-info`),
 * `titleClass`, `title` (null: nothing selected, the `hint` is shown), `rows`, `hint`,
 * `follow` (a Follow switch). Slots: `swatch` (before the title), `notice` (above the
 * rows), default (below them).
 */
export declare const EntityDetails: Component;
