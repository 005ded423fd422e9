/**
 * Base maps. The built-in style works with no network at all: country shapes from the
 * `world-atlas` package (TopoJSON, bundled with the app), converted to GeoJSON in the
 * browser, drawn with fill and line layers only, so no glyphs or sprites are fetched.
 */
import type { ExpressionSpecification, FilterSpecification, StyleSpecification } from "maplibre-gl";
import type { ThemeName } from "@tangram/api";
import { labelImage } from "./labels";
import { RUNWAYS_SOURCE, runwayLayer, runwayLines } from "./runways";
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
  airports: GeoJSON.FeatureCollection;
  runways: GeoJSON.FeatureCollection;
  cities: GeoJSON.FeatureCollection;
}

type AirportRow = [icao: string, iata: string, name: string, lon: number, lat: number];
type CityRow = [name: string, lon: number, lat: number, population: number];

/** Context layers (web/src/data, see ATTRIBUTION.md there): airports, runways and cities. */
async function context(): Promise<Pick<Shapes, "airports" | "runways" | "cities">> {
  const [airports, runways, cities] = await Promise.all([
    import("../data/airports.json"),
    runwayLines(),
    import("../data/cities.json"),
  ]);
  const point = (lon: number, lat: number): GeoJSON.Point => ({ type: "Point", coordinates: [lon, lat] });
  return {
    runways,
    airports: {
      type: "FeatureCollection",
      features: (airports.default as unknown as AirportRow[]).map(([icao, iata, name, lon, lat]) => ({
        type: "Feature",
        properties: { icao, iata, name },
        geometry: point(lon, lat),
      })),
    },
    cities: {
      type: "FeatureCollection",
      features: (cities.default as unknown as CityRow[]).map(([name, lon, lat, population]) => ({
        type: "Feature",
        properties: { name, population },
        geometry: point(lon, lat),
      })),
    },
  };
}

/** Cities by size: [population at least, from zoom]. */
const CITY_CLASSES: Array<[number, number]> = [
  [3_000_000, 3],
  [1_000_000, 4.5],
  [300_000, 6],
  [100_000, 7.5],
];

function contextLayers(theme: ThemeName): StyleSpecification["layers"] {
  const dark = theme === "dark";
  const layers: StyleSpecification["layers"] = [];
  // Airports first: symbol layers higher in the stack win label collisions, and a
  // city's name matters more than the airport named after it.
  layers.push(
    runwayLayer(theme),
    {
      id: "airport-dots",
      type: "circle",
      source: "tangram-airports",
      minzoom: 6,
      paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 6, 2.5, 10, 4],
        "circle-color": dark ? "#c8a2e8" : "#7a3e9d",
        "circle-stroke-color": dark ? "#151d26" : "#ffffff",
        "circle-stroke-width": 1,
      },
    },
    {
      id: "airport-labels",
      type: "symbol",
      source: "tangram-airports",
      minzoom: 6,
      layout: {
        "icon-image": labelImage(theme, "airport", [["get", "icao"], " ", ["get", "name"]]) as ExpressionSpecification,
        "icon-anchor": "top",
        "icon-offset": [0, 4],
      },
    },
  );
  // Biggest class last: MapLibre places the symbols of higher layers first, so a big
  // city's label wins a collision with a smaller neighbour's (Paris over Marne-la-Vallée).
  const classes: StyleSpecification["layers"][] = [];
  CITY_CLASSES.forEach(([population, minzoom], i) => {
    const upper = i === 0 ? Infinity : CITY_CLASSES[i - 1][0];
    const filter: FilterSpecification = [
      "all",
      [">=", ["get", "population"], population],
      ["<", ["get", "population"], upper === Infinity ? 1e12 : upper],
    ];
    classes.push([
      {
        id: `city-dots-${i}`,
        type: "circle",
        source: "tangram-cities",
        minzoom,
        filter,
        paint: { "circle-radius": 2.5, "circle-color": dark ? "#8b96a1" : "#5d6470" },
      },
      {
        id: `city-labels-${i}`,
        type: "symbol",
        source: "tangram-cities",
        minzoom,
        filter,
        layout: {
          "icon-image": labelImage(theme, "city", [["get", "name"]]) as ExpressionSpecification,
          "icon-anchor": "top",
          "icon-offset": [0, 3],
          "symbol-sort-key": ["-", ["get", "population"]],
        },
      },
    ]);
  });
  layers.push(...classes.reverse().flat());
  return layers;
}

let cached: Promise<Shapes> | null = null;

/** The offline style; the TopoJSON chunk is fetched from the tangram server once. */
export async function offlineStyle(theme: ThemeName = "light"): Promise<StyleSpecification> {
  cached ??= import("world-atlas/countries-50m.json").then(async (module) => {
    const topology = (module.default ?? module) as unknown as Topology;
    const countries = topology.objects.countries as GeometryCollection;
    return {
      ...(await context()),
      land: feature(topology, countries) as GeoJSON.FeatureCollection,
      borders: mesh(topology, countries, (a, b) => a !== b),
      coasts: mesh(topology, countries, (a, b) => a === b),
    };
  });
  const { land, borders, coasts, airports, runways, cities } = await cached;
  const colour = OFFLINE_COLOURS[theme];
  const style: StyleSpecification = {
    version: 8,
    name: `tangram offline (${theme})`,
    sources: {
      "tangram-countries": { type: "geojson", data: land, attribution: "Natural Earth via world-atlas" },
      "tangram-borders": { type: "geojson", data: borders },
      "tangram-coasts": { type: "geojson", data: coasts },
      "tangram-graticule": { type: "geojson", data: graticule(10) },
      "tangram-cities": { type: "geojson", data: cities, attribution: "GeoNames (CC BY 4.0)" },
      "tangram-airports": { type: "geojson", data: airports, attribution: "airportsdata" },
      [RUNWAYS_SOURCE]: { type: "geojson", data: runways, attribution: "OurAirports" },
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
      ...contextLayers(theme),
    ],
  };
  return style;
}
