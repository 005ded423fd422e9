/**
 * Base maps. The built-in style works with no network at all: country shapes from the
 * `world-atlas` package (TopoJSON, bundled with the app), converted to GeoJSON in the
 * browser, drawn with fill and line layers only, so no glyphs or sprites are fetched.
 */
import type { StyleSpecification } from "maplibre-gl";
import type { ThemeName } from "@tangram/api";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";

export interface BaseMapChoice {
  id: string;
  label: string;
  /** A style URL, or null for the built-in offline style. */
  style: string | null;
}

export const OFFLINE: BaseMapChoice = { id: "offline", label: "Offline (built-in)", style: null };

/** Common public styles, offered when the network allows. */
export const ONLINE_CHOICES: BaseMapChoice[] = [
  { id: "ofm-positron", label: "OpenFreeMap Positron", style: "https://tiles.openfreemap.org/styles/positron" },
  { id: "ofm-liberty", label: "OpenFreeMap Liberty", style: "https://tiles.openfreemap.org/styles/liberty" },
  {
    id: "carto-positron",
    label: "CARTO Positron",
    style: "https://basemaps.cartocdn.com/gl/positron-gl-style/style.json",
  },
  {
    id: "carto-dark",
    label: "CARTO Dark Matter",
    style: "https://basemaps.cartocdn.com/gl/dark-matter-gl-style/style.json",
  },
];

/** Resolve the manifest's `map.style` (null, an http(s) URL or `/map/style.json`). */
export function resolveStyleUrl(style: string): string {
  return new URL(style, window.location.href).href;
}

function graticule(step: number): GeoJSON.FeatureCollection {
  const lines: GeoJSON.Position[][] = [];
  for (let lon = -180; lon <= 180; lon += step) lines.push([[lon, -85], [lon, 0], [lon, 85]]);
  for (let lat = -80; lat <= 80; lat += step) {
    const line: GeoJSON.Position[] = [];
    for (let lon = -180; lon <= 180; lon += 5) line.push([lon, lat]);
    lines.push(line);
  }
  return {
    type: "FeatureCollection",
    features: [{ type: "Feature", properties: {}, geometry: { type: "MultiLineString", coordinates: lines } }],
  };
}

/** Colours of the offline map in each theme. */
export const OFFLINE_COLOURS: Record<ThemeName, Record<"water" | "graticule" | "land" | "borders" | "coast", string>> = {
  light: { water: "#c9dbe8", graticule: "#aac2d4", land: "#f3f1ec", borders: "#a7a49c", coast: "#8aa6bb" },
  dark: { water: "#151d26", graticule: "#22303d", land: "#262b31", borders: "#4f565e", coast: "#3d5466" },
};

interface Shapes {
  land: GeoJSON.FeatureCollection;
  borders: GeoJSON.MultiLineString;
  coasts: GeoJSON.MultiLineString;
}

let cached: Promise<Shapes> | null = null;

/** The offline style; the TopoJSON chunk is fetched from the tangram server once. */
export async function offlineStyle(theme: ThemeName = "light"): Promise<StyleSpecification> {
  cached ??= import("world-atlas/countries-50m.json").then((module) => {
    const topology = (module.default ?? module) as unknown as Topology;
    const countries = topology.objects.countries as GeometryCollection;
    return {
      land: feature(topology, countries) as GeoJSON.FeatureCollection,
      borders: mesh(topology, countries, (a, b) => a !== b),
      coasts: mesh(topology, countries, (a, b) => a === b),
    };
  });
  const { land, borders, coasts } = await cached;
  const colour = OFFLINE_COLOURS[theme];
  const style: StyleSpecification = {
    version: 8,
    name: `tangram offline (${theme})`,
    sources: {
      "tangram-countries": { type: "geojson", data: land, attribution: "Natural Earth via world-atlas" },
      "tangram-borders": { type: "geojson", data: borders },
      "tangram-coasts": { type: "geojson", data: coasts },
      "tangram-graticule": { type: "geojson", data: graticule(10) },
    },
    layers: [
      { id: "water", type: "background", paint: { "background-color": colour.water } },
      {
        id: "graticule",
        type: "line",
        source: "tangram-graticule",
        paint: { "line-color": colour.graticule, "line-width": 0.6 },
      },
      { id: "land", type: "fill", source: "tangram-countries", paint: { "fill-color": colour.land } },
      {
        id: "borders",
        type: "line",
        source: "tangram-borders",
        paint: { "line-color": colour.borders, "line-width": ["interpolate", ["linear"], ["zoom"], 2, 0.5, 8, 1.5] },
      },
      {
        id: "coastline",
        type: "line",
        source: "tangram-coasts",
        paint: { "line-color": colour.coast, "line-width": ["interpolate", ["linear"], ["zoom"], 2, 0.6, 8, 1.6] },
      },
    ],
  };
  return style;
}
