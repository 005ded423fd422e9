/**
 * Explore layers on the map. A table (`"format": "arrow"`) is fetched as Arrow and drawn
 * by one WebGL custom layer (points or lines). GeoJSON gets one GeoJSON source (MapLibre
 * fetches `/explore/data/{id}` itself, in its worker) and up to three map layers (fill,
 * line, circle) filtered by geometry type. They go below the aircraft: before the first
 * jet1090 layer or symbol layer, whichever comes first.
 */
import type { TangramApi } from "@tangram/api";
import type { ExpressionSpecification, Map as MaplibreMap } from "maplibre-gl";
import { reactive } from "vue";
import type { Timings } from "./gl";
import { LinesLayer } from "./lines";
import { PointsLayer } from "./points";
import { RAMP } from "./ramp";
import { fetchTable } from "./table";

export interface LayerInfo {
  id: string;
  label: string;
  style: {
    color?: string;
    color_by?: string;
    range?: [number, number];
    radius?: number;
    width?: number;
    opacity?: number;
  };
  features: number;
  bytes: number;
  /** "arrow": a table, drawn by a PointsLayer or a LinesLayer; otherwise GeoJSON. */
  format?: string;
  columns?: string[];
  /** for "arrow": "points" or "lines", and the column that groups rows into lines */
  kind?: string;
  group?: string | null;
  rows?: number;
}

export interface Shown extends LayerInfo {
  visible: boolean;
}

const PALETTE = ["#d6336c", "#1098ad", "#f59f00", "#7048e8", "#37b24d", "#e8590c", "#1c7ed6"];

export const source = (id: string): string => `explore-${id}`;
/** The WebGL layer of a table: `explore-{id}-points` or `explore-{id}-lines`. */
export const tableLayer = (id: string, kind = "points"): string => `explore-${id}-${kind}`;
const parts = (id: string): string[] => ["fill", "line", "point"].map((p) => `explore-${id}-${p}`);

export class ExploreLayers {
  /** What the widget lists, oldest first. */
  readonly shown = reactive<Shown[]>([]);
  private count = 0;
  private readonly tables = new Map<string, PointsLayer | LinesLayer>();
  /** When each layer's steps ended, by layer id (see Timings); read by the benchmark. */
  readonly timings = new Map<string, Timings>();

  constructor(private readonly api: TangramApi) {
    // The shell carries style layers over a base-map switch, but a custom (WebGL)
    // layer is not part of the style it copies: put ours back.
    const map = api.map.map;
    const restore = (): void => {
      for (const layer of this.tables.values()) {
        if (!map.getLayer(layer.id)) this.api.map.addLayer(layer, this.below(map));
      }
    };
    map.on("style.load", restore);
    api.onTeardown(() => map.off("style.load", restore));
  }

  has(id: string): boolean {
    return this.shown.some((layer) => layer.id === id);
  }

  add(info: LayerInfo): void {
    if (this.has(info.id)) return;
    if (info.format === "arrow") {
      this.shown.push({ ...info, visible: true });
      void this.addTable(info);
      return;
    }
    const map = this.api.map.map;
    const color = this.colour(info);
    const opacity = info.style.opacity ?? 0.85;
    const url = new URL(`/explore/data/${encodeURIComponent(info.id)}`, window.location.href).href;
    const [fill, line, point] = parts(info.id);
    const below = this.below(map);
    this.api.map.addSource(source(info.id), { type: "geojson", data: url });
    this.api.map.addLayer(
      {
        id: fill,
        type: "fill",
        source: source(info.id),
        filter: ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false],
        paint: { "fill-color": color, "fill-opacity": opacity * 0.35 },
      },
      below,
    );
    this.api.map.addLayer(
      {
        id: line,
        type: "line",
        source: source(info.id),
        filter: ["match", ["geometry-type"], ["Point", "MultiPoint"], false, true],
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": color, "line-width": info.style.width ?? 2, "line-opacity": opacity },
      },
      below,
    );
    this.api.map.addLayer(
      {
        id: point,
        type: "circle",
        source: source(info.id),
        filter: ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false],
        paint: {
          "circle-color": color,
          "circle-radius": info.style.radius ?? 3,
          "circle-opacity": opacity,
          "circle-stroke-width": 0,
        },
      },
      below,
    );
    this.shown.push({ ...info, visible: true });
  }

  remove(id: string): void {
    const index = this.shown.findIndex((layer) => layer.id === id);
    if (index < 0) return;
    const [layer] = this.shown.splice(index, 1);
    if (layer.format === "arrow") {
      const drawn = this.tables.get(id);
      this.tables.delete(id);
      this.timings.delete(id);
      if (drawn) this.api.map.removeLayer(drawn.id);
    } else {
      this.api.map.removeSource(source(id)); // and its layers
    }
  }

  private async addTable(info: LayerInfo): Promise<void> {
    const timings: Timings = { announced: performance.now() };
    this.timings.set(info.id, timings);
    const by = info.style.color_by && info.style.range ? info.style.color_by : undefined;
    const data = await fetchTable(info.id, by, info.kind === "lines" ? info.group : null, timings);
    if (!data || !this.has(info.id)) return; // gone, or removed while downloading
    const style = {
      color: info.style.color ?? PALETTE[this.count++ % PALETTE.length],
      range: by ? info.style.range : undefined,
      size: info.kind === "lines" ? (info.style.width ?? 2) : (info.style.radius ?? 2),
      opacity: info.style.opacity ?? 0.85,
    };
    const id = tableLayer(info.id, info.kind);
    const layer =
      info.kind === "lines" ? new LinesLayer(id, data, style, timings) : new PointsLayer(id, data, style, timings);
    this.tables.set(info.id, layer);
    this.api.map.addLayer(layer, this.below(this.api.map.map));
    const shown = this.shown.find((l) => l.id === info.id);
    if (shown && !shown.visible) layer.setVisible(false);
  }

  clear(): void {
    for (const layer of [...this.shown]) this.remove(layer.id);
  }

  setVisible(id: string, visible: boolean): void {
    const layer = this.shown.find((l) => l.id === id);
    if (!layer) return;
    layer.visible = visible;
    this.tables.get(id)?.setVisible(visible);
    const map = this.api.map.map;
    for (const part of parts(id)) {
      if (map.getLayer(part)) map.setLayoutProperty(part, "visibility", visible ? "visible" : "none");
    }
  }

  private colour(info: LayerInfo): string | ExpressionSpecification {
    const fixed = info.style.color ?? PALETTE[this.count++ % PALETTE.length];
    const by = info.style.color_by;
    const range = info.style.range;
    if (!by || !range) return fixed;
    const [low, high] = range;
    if (!(high > low)) return RAMP[2];
    const stops: (number | string)[] = [];
    RAMP.forEach((c, i) => stops.push(low + ((high - low) * i) / (RAMP.length - 1), c));
    return [
      "case",
      ["==", ["typeof", ["get", by]], "number"],
      ["interpolate", ["linear"], ["get", by], ...stops] as unknown as ExpressionSpecification,
      "#868e96",
    ] as ExpressionSpecification;
  }

  /** The first layer that must stay above ours (aircraft, trails, labels), if any. */
  private below(map: MaplibreMap): string | undefined {
    // getLayersOrder(), not getStyle(): the latter leaves out custom (WebGL) layers, such
    // as the aircraft.
    for (const id of map.getLayersOrder()) {
      if (id.startsWith("explore-")) continue;
      if (id.startsWith("jet1090-") || map.getLayer(id)?.type === "symbol") return id;
    }
    return undefined;
  }
}
