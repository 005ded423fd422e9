/**
 * The selected aircraft's trail: its flight from the history
 * (`GET /jet1090/history/{icao24}`, the hour before the instant shown; the older
 * `GET /jet1090/data/{icao24}` when history queries are not available), then extended
 * with every streamed (or played back) position, so it is complete at once and stays
 * current. Drawn as one segment per pair of points, coloured by altitude (default), by
 * speed or in one colour (`trail_colour` in `[plugins.tangram_jet1090.frontend]`).
 */
import type { TangramApi } from "@tangram/api";
import type { Feature, FeatureCollection } from "geojson";
import type { ExpressionSpecification } from "maplibre-gl";
import { ref, shallowRef } from "vue";
import type { StateVector } from "./types";

export const TRAIL_SOURCE = "jet1090-trail";
export const TRAIL_LAYER = "jet1090-trail";
/** How far back the trail reaches from the instant shown. */
export const TRAIL_SECONDS = 3600;

/** One point of the trail, as the charts use it too. */
export interface TrailPoint {
  timestamp: number;
  longitude: number;
  latitude: number;
  altitude: number | null;
  groundspeed: number | null;
  vertical_rate: number | null;
}

export type TrailColouring = { by: "altitude" | "speed" } | { by: "fixed"; colour: string };

/** Colour ramps (viridis stops): value -> colour. */
export const RAMPS = {
  altitude: { unit: "ft", stops: [0, 10000, 20000, 30000, 40000] },
  speed: { unit: "kts", stops: [0, 150, 300, 450, 600] },
} as const;
export const RAMP_COLOURS = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];

/** Number of points of the current trail (shown by the info widget). */
export const trailLength = ref(0);
/** The current trail's points (the charts draw them). */
export const trailPoints = shallowRef<readonly TrailPoint[]>([]);

export function colouringOf(config: Readonly<Record<string, unknown>>): TrailColouring {
  const value = config.trail_colour;
  if (value === undefined || value === "altitude") return { by: "altitude" };
  if (value === "speed") return { by: "speed" };
  if (typeof value === "string" && /^#[0-9a-fA-F]{3,8}$/.test(value)) return { by: "fixed", colour: value };
  throw new Error(
    `[plugins.tangram_jet1090.frontend] trail_colour = ${JSON.stringify(value)}: expected "altitude", "speed" or a colour such as "#e8590c"`,
  );
}

function colourExpression(colouring: TrailColouring): ExpressionSpecification | string {
  if (colouring.by === "fixed") return colouring.colour;
  const property = colouring.by === "altitude" ? "altitude" : "groundspeed";
  const stops = RAMPS[colouring.by].stops.flatMap((value, i) => [value, RAMP_COLOURS[i]]);
  return ["case", ["==", ["get", property], null], "#888888", ["interpolate", ["linear"], ["get", property], ...stops]];
}

export class Trail {
  private icao24: string | null = null;
  private points: TrailPoint[] = [];
  private request = 0;

  constructor(
    private readonly api: TangramApi,
    private readonly colouring: TrailColouring,
  ) {}

  async install(): Promise<void> {
    await this.api.map.whenReady();
    this.api.map.addSource(TRAIL_SOURCE, { type: "geojson", data: this.geojson() });
    this.api.map.addLayer({
      id: TRAIL_LAYER,
      type: "line",
      source: TRAIL_SOURCE,
      layout: { "line-join": "round", "line-cap": "round" },
      paint: { "line-color": colourExpression(this.colouring), "line-width": 3, "line-opacity": 0.9 },
    });
  }

  /** Show the trail of `icao24` (or none); `reload` fetches again (after a time jump). */
  async follow(icao24: string | null, reload = false): Promise<void> {
    if (icao24 === this.icao24 && !reload) return;
    this.icao24 = icao24;
    this.points = [];
    this.render();
    if (icao24 === null) return;
    const request = ++this.request;
    try {
      const history = await this.fetchHistory(icao24);
      if (request !== this.request) return; // another aircraft was selected meanwhile
      // positions streamed while the request was in flight come after the history
      const newest = history.length ? history[history.length - 1].timestamp : -Infinity;
      this.points = [...history, ...this.points.filter((p) => p.timestamp > newest)];
      this.render();
    } catch (error) {
      console.warn(`[jet1090] no history for ${icao24}:`, error);
    }
  }

  private async fetchHistory(icao24: string): Promise<TrailPoint[]> {
    const stop = this.api.time.at.value ?? Date.now() / 1000;
    let response = await fetch(`/jet1090/history/${icao24}?start=${Math.floor(stop - TRAIL_SECONDS)}&stop=${Math.ceil(stop)}`);
    if (response.status === 404 && this.api.time.at.value === null) response = await fetch(`/jet1090/data/${icao24}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const points = (await response.json()) as Array<Partial<TrailPoint> & { timestamp: number }>;
    const out: TrailPoint[] = [];
    for (const p of points) {
      if (typeof p.latitude !== "number" || typeof p.longitude !== "number") continue;
      out.push({
        timestamp: p.timestamp,
        latitude: p.latitude,
        longitude: p.longitude,
        altitude: p.altitude ?? null,
        groundspeed: p.groundspeed ?? null,
        vertical_rate: p.vertical_rate ?? null,
      });
    }
    return out;
  }

  /** Append the followed aircraft's newest position from a frame (live or played back). */
  extend(aircraft: StateVector[]): void {
    if (this.icao24 === null) return;
    const a = aircraft.find((item) => item.icao24 === this.icao24);
    const last = this.points[this.points.length - 1];
    if (!a || a.latitude === null || a.longitude === null || (last && a.lastseen <= last.timestamp)) return;
    const point = {
      timestamp: a.lastseen,
      latitude: a.latitude,
      longitude: a.longitude,
      altitude: a.altitude,
      groundspeed: a.groundspeed,
      vertical_rate: a.vertical_rate,
    };
    this.points.push(point);
    this.render();
  }

  private geojson(): FeatureCollection {
    const features: Feature[] = [];
    for (let i = 1; i < this.points.length; i++) {
      const a = this.points[i - 1];
      const b = this.points[i];
      features.push({
        type: "Feature",
        properties: { altitude: b.altitude ?? a.altitude, groundspeed: b.groundspeed ?? a.groundspeed },
        geometry: { type: "LineString", coordinates: [[a.longitude, a.latitude], [b.longitude, b.latitude]] },
      });
    }
    return { type: "FeatureCollection", features };
  }

  private render(): void {
    trailLength.value = this.points.length;
    trailPoints.value = [...this.points];
    if (this.api.map.getGeoJSONSource(TRAIL_SOURCE)) this.api.map.setData(TRAIL_SOURCE, this.geojson());
  }
}
