/** The vessel layer: one hull per ship, coloured by type, rotated by heading or course. */
import type { Entity, TangramApi } from "@tangram/api";
import type { FeatureCollection, Point } from "geojson";
import type { MapLayerMouseEvent } from "maplibre-gl";
import { ICON, installIcon } from "./icon";
import { TYPE_NAME, typeColour, type Ship } from "./types";

export const SOURCE = "ship162-vessels";
export const LAYER = "ship162-vessels";
export const LABELS = "ship162-labels";

export function toGeoJSON(ships: Ship[], selected: ReadonlySet<string>): FeatureCollection<Point> {
  const features = [];
  for (const s of ships) {
    if (s.latitude === null || s.longitude === null) continue;
    const id = String(s.mmsi);
    features.push({
      type: "Feature" as const,
      id: s.mmsi,
      geometry: { type: "Point" as const, coordinates: [s.longitude, s.latitude] },
      properties: {
        mmsi: id,
        label: s.shipname ?? id,
        rotation: s.heading ?? s.course ?? 0,
        colour: typeColour(s.ship_type),
        selected: selected.has(id),
      },
    });
  }
  return { type: "FeatureCollection", features };
}

export async function installLayer(
  api: TangramApi,
  entityOf: (mmsi: string) => Entity | undefined,
): Promise<void> {
  const map = await api.map.whenReady();
  api.onTeardown(installIcon(map));
  api.map.addSource(SOURCE, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  api.map.addLayer({
    id: LAYER,
    type: "symbol",
    source: SOURCE,
    layout: {
      "icon-image": ICON,
      "icon-rotate": ["get", "rotation"],
      "icon-rotation-alignment": "map",
      "icon-allow-overlap": true,
      "icon-ignore-placement": true,
      "icon-size": ["case", ["get", "selected"], 1.2, 0.8],
    },
    paint: {
      "icon-color": ["case", ["get", "selected"], "#e8590c", ["get", "colour"]],
      "icon-halo-color": "#ffffff",
      "icon-halo-width": 2,
    },
  });
  api.map.addLayer({
    id: LABELS,
    type: "symbol",
    source: SOURCE,
    minzoom: 9,
    layout: {
      "text-field": ["get", "label"],
      "text-size": 10,
      "text-offset": [0, 1.5],
      "text-anchor": "top",
      "text-optional": true,
    },
    paint: { "text-color": "#0d3b66", "text-halo-color": "#ffffff", "text-halo-width": 1.2 },
  });

  const onClick = (event: MapLayerMouseEvent): void => {
    const mmsi = event.features?.[0]?.properties?.mmsi as string | undefined;
    const entity = mmsi ? entityOf(mmsi) : undefined;
    if (entity) api.state.select(entity);
  };
  const pointer = (): void => void (map.getCanvas().style.cursor = "pointer");
  const plain = (): void => void (map.getCanvas().style.cursor = "");
  map.on("click", LAYER, onClick);
  map.on("mouseenter", LAYER, pointer);
  map.on("mouseleave", LAYER, plain);
  api.onTeardown(() => {
    map.off("click", LAYER, onClick);
    map.off("mouseenter", LAYER, pointer);
    map.off("mouseleave", LAYER, plain);
  });
}

export function selectedIds(api: TangramApi): Set<string> {
  return new Set(api.state.selected.value.filter((e) => e.typeName === TYPE_NAME).map((e) => e.id));
}
