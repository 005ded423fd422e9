/**
 * The MapLibre map and the per-plugin view of it.
 *
 * Plugins add sources and layers through their `api.map`, which records what each one
 * added. That record serves two purposes: switching the base map (a new style would
 * otherwise drop every plugin layer) carries them over, and tearing a plugin down
 * removes exactly what it added.
 */
import maplibregl, {
  type AddLayerObject,
  type CustomLayerInterface,
  type GeoJSONSource,
  type LayerSpecification,
  type Map as MaplibreMap,
  type SourceSpecification,
  type StyleSpecification,
} from "maplibre-gl";
import { ref, shallowRef, type Ref } from "vue";
import type { MapApi, MapBounds } from "@tangram/api";

interface Carried {
  sources: Array<[string, SourceSpecification]>;
  layers: Array<LayerSpecification | CustomLayerInterface>;
}

interface Owned {
  sources: Set<string>;
  layers: Set<string>;
  /** Custom (WebGL) layers by id: a style cannot serialise them, so we keep the objects. */
  custom: Map<string, CustomLayerInterface>;
}

export class MapHost {
  readonly map = shallowRef<MaplibreMap | null>(null);
  readonly bounds: Ref<MapBounds> = ref({ north: 0, south: 0, east: 0, west: 0 });
  private readonly owners = new Map<string, Owned>();
  private readyWaiters: Array<(map: MaplibreMap) => void> = [];
  /** Own flag: map.isStyleLoaded() also waits for sources, and stays false while they load. */
  private styleReady = false;
  private carried: Carried | null = null;
  /** URL of a style being fetched; an error meanwhile means that style is unusable. */
  pendingStyleUrl: string | null = null;

  create(container: HTMLElement, style: StyleSpecification | string, center: [number, number], zoom: number): MaplibreMap {
    this.pendingStyleUrl = typeof style === "string" ? style : null;
    const map = new maplibregl.Map({ container, style, center, zoom, attributionControl: { compact: true } });
    map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "bottom-right");
    map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-left");
    const update = (): void => {
      const b = map.getBounds();
      this.bounds.value = { north: b.getNorth(), south: b.getSouth(), east: b.getEast(), west: b.getWest() };
    };
    map.on("moveend", update);
    map.on("load", update);
    map.on("style.load", () => {
      this.restore(map);
      this.styleReady = true;
      this.pendingStyleUrl = null;
      this.flushReady(map);
    });
    this.map.value = map;
    return map;
  }

  whenReady(): Promise<MaplibreMap> {
    const map = this.map.value;
    if (map && this.styleReady) return Promise.resolve(map);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Switch the base map, keeping every plugin source and layer (with current data). */
  setBaseStyle(style: StyleSpecification | string): void {
    const map = this.mustMap();
    // Snapshot only a loaded style: after a failed switch the last good snapshot is the
    // one to restore. (MapLibre's own transformStyle would wait for the failed style to
    // load, forever.)
    if (this.styleReady) this.carried = this.snapshot(map);
    this.styleReady = false;
    this.pendingStyleUrl = typeof style === "string" ? style : null;
    map.setStyle(style, { diff: false });
  }

  private snapshot(map: MaplibreMap): Carried {
    const keepSources = new Set<string>();
    const kept = new Map<string, LayerSpecification | CustomLayerInterface | null>();
    for (const owned of this.owners.values()) {
      owned.sources.forEach((id) => keepSources.add(id));
      owned.layers.forEach((id) => kept.set(id, owned.custom.get(id) ?? null));
    }
    const current = map.getStyle();
    const sources = Object.entries(current.sources).filter(([id]) => keepSources.has(id));
    for (const layer of current.layers) if (kept.has(layer.id)) kept.set(layer.id, layer);
    // In drawing order, custom layers included (getStyle() leaves them out).
    const layers = map
      .getLayersOrder()
      .map((id) => kept.get(id))
      .filter((layer): layer is LayerSpecification | CustomLayerInterface => layer != null);
    return { sources, layers };
  }

  private restore(map: MaplibreMap): void {
    const carried = this.carried;
    this.carried = null;
    if (!carried) return;
    for (const [id, source] of carried.sources) if (!map.getSource(id)) map.addSource(id, source);
    for (const layer of carried.layers) if (!map.getLayer(layer.id)) map.addLayer(layer);
  }

  /** Ids of every layer a plugin added (for hit tests such as click-to-deselect). */
  pluginLayers(): string[] {
    return [...this.owners.values()].flatMap((owned) => [...owned.layers]);
  }

  /** The `api.map` object of one plugin. */
  apiFor(plugin: string): MapApi & { teardown(): void } {
    const owned: Owned = { sources: new Set(), layers: new Set(), custom: new Map() };
    this.owners.set(plugin, owned);
    const host = this;
    const layersUsing = (map: MaplibreMap, source: string): string[] =>
      [...owned.layers].filter((id) => {
        const layer = map.getLayer(id);
        return layer !== undefined && layer.source === source;
      });
    return {
      get map() {
        return host.mustMap();
      },
      bounds: this.bounds,
      whenReady: () => this.whenReady(),
      getBounds: () => this.mustMap().getBounds(),
      addSource(id: string, source: SourceSpecification) {
        host.mustMap().addSource(id, source);
        owned.sources.add(id);
      },
      addLayer(layer: AddLayerObject, beforeId?: string) {
        host.mustMap().addLayer(layer, beforeId);
        owned.layers.add(layer.id);
        if (layer.type === "custom") owned.custom.set(layer.id, layer);
      },
      setData(sourceId, data) {
        const source = this.getGeoJSONSource(sourceId);
        if (!source) throw new Error(`plugin ${plugin}: no GeoJSON source ${JSON.stringify(sourceId)}`);
        source.setData(data);
      },
      getGeoJSONSource(id: string) {
        const source = host.mustMap().getSource(id);
        return source?.type === "geojson" ? (source as GeoJSONSource) : undefined;
      },
      removeLayer(id: string) {
        const map = host.mustMap();
        if (map.getLayer(id)) map.removeLayer(id);
        owned.layers.delete(id);
        owned.custom.delete(id);
      },
      removeSource(id: string) {
        const map = host.mustMap();
        for (const layer of layersUsing(map, id)) this.removeLayer(layer);
        if (map.getSource(id)) map.removeSource(id);
        owned.sources.delete(id);
      },
      teardown() {
        const map = host.map.value;
        if (map) {
          for (const id of owned.layers) if (map.getLayer(id)) map.removeLayer(id);
          for (const id of owned.sources) if (map.getSource(id)) map.removeSource(id);
        }
        owned.layers.clear();
        owned.custom.clear();
        owned.sources.clear();
        host.owners.delete(plugin);
      },
    };
  }

  private mustMap(): MaplibreMap {
    const map = this.map.value;
    if (!map) throw new Error("the map is not created yet; use api.map.whenReady()");
    return map;
  }

  private flushReady(map: MaplibreMap): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    waiters.forEach((resolve) => resolve(map));
  }
}
